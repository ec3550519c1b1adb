/*
 * What every cell-list extension (neighbors.c, rdf.c) does before its own
 * work: convert the arguments (reference, configuration or None, h, hinv),
 * lay the grid for the cutoff and bin the points.
 */
#ifndef CHEMLIB_CELL_SEARCH_H
#define CHEMLIB_CELL_SEARCH_H

#include <string.h>

#include "cell_list.h"
#include "kernel_arguments.h"

typedef struct {
    PyArrayObject *reference, *configuration, *h, *hinv; /* owned; configuration NULL: self search */
    int64_t reference_count, configuration_count;
    chemlib_grid grid;
    chemlib_binned_points binned_reference, binned_configuration;
} chemlib_cell_search;

/* Convert the arguments (the GIL held). 0, or -1 with a Python exception set. */
static inline int chemlib_cell_search_arguments(chemlib_cell_search *search, PyObject *reference,
                                                PyObject *configuration, PyObject *h, PyObject *hinv)
{
    memset(search, 0, sizeof(*search));
    search->reference = chemlib_coordinates_argument(reference, "reference");
    if (search->reference == NULL) return -1;
    search->reference_count = PyArray_DIM(search->reference, 0);
    if (configuration != Py_None) {
        search->configuration = chemlib_coordinates_argument(configuration, "configuration");
        if (search->configuration == NULL) return -1;
        search->configuration_count = PyArray_DIM(search->configuration, 0);
    }
    search->h = chemlib_matrix_argument(h, "h");
    if (search->h == NULL) return -1;
    search->hinv = chemlib_matrix_argument(hinv, "hinv");
    return search->hinv == NULL ? -1 : 0;
}

/* Lay the grid for the cutoff and bin both sets; needs no GIL. 0, or -1 when
 * memory ran out. */
static inline int chemlib_cell_search_prepare(chemlib_cell_search *search, double cutoff)
{
    chemlib_cell cell;
    chemlib_cell_init(&cell, PyArray_DATA(search->h), PyArray_DATA(search->hinv));
    const double *a = PyArray_DATA(search->reference);
    const double *b = search->configuration ? PyArray_DATA(search->configuration) : NULL;
    if (chemlib_grid_init(&search->grid, &cell, cutoff, a, search->reference_count, b,
                          search->configuration_count) != 0
        || chemlib_bin_points(&search->grid, a, search->reference_count, &search->binned_reference) != 0) {
        return -1;
    }
    if (b != NULL
        && chemlib_bin_points(&search->grid, b, search->configuration_count, &search->binned_configuration) != 0) {
        return -1;
    }
    return 0;
}

/* The points reference's are paired with: configuration's, or their own. */
static inline const chemlib_binned_points *chemlib_cell_search_partners(const chemlib_cell_search *search)
{
    return search->configuration ? &search->binned_configuration : &search->binned_reference;
}

/* Enough points to pay for a parallel region. */
static inline int chemlib_cell_search_parallel(const chemlib_cell_search *search)
{
    return search->reference_count + search->configuration_count >= CHEMLIB_MIN_PARALLEL_POINTS;
}

static inline void chemlib_cell_search_free(chemlib_cell_search *search)
{
    chemlib_binned_points_free(&search->binned_reference);
    chemlib_binned_points_free(&search->binned_configuration);
    chemlib_grid_free(&search->grid);
    Py_XDECREF(search->reference);
    Py_XDECREF(search->configuration);
    Py_XDECREF(search->h);
    Py_XDECREF(search->hinv);
}

#endif
