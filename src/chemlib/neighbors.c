/*
 * chemlib._neighbors: every pair of points within a cutoff, by cell lists
 * (cell_list.h), as a C extension using the NumPy C API.
 *
 * capped_pairs(reference, configuration, h, hinv, max_cutoff, min_cutoff,
 *              return_distances) -> (pairs (k, 2) int64, distances (k,) or None)
 *
 * configuration None means a self search (pairs i < j). A pair is kept when
 * its float64 distance d satisfies min_cutoff < d <= max_cutoff (pass -inf
 * for no lower bound). Arguments are validated in chemlib/neighbors.py; this
 * layer only re-checks what it needs not to crash.
 *
 * The search runs without the GIL, cells in parallel with OpenMP. Cells are
 * processed in fixed chunks, each collecting its pairs in its own buffer;
 * buffers are concatenated in chunk order, so the output is identical for any
 * number of threads.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#define NPY_NO_DEPRECATED_API NPY_1_23_API_VERSION
#include <numpy/arrayobject.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cell_list.h"
#include "kernel_arguments.h"

#define CELLS_PER_CHUNK 64

typedef struct {
    int64_t *pairs; /* 2 per pair */
    double *distances;
    int64_t count, capacity;
    double max_cutoff, min_cutoff;
    int keep_distances, out_of_memory;
} pair_buffer;

static int grow(pair_buffer *buffer)
{
    const int64_t capacity = buffer->capacity ? 2 * buffer->capacity : 256;
    int64_t *pairs = realloc(buffer->pairs, (size_t)capacity * 2 * sizeof(int64_t));
    if (pairs == NULL) return -1;
    buffer->pairs = pairs;
    if (buffer->keep_distances) {
        double *distances = realloc(buffer->distances, (size_t)capacity * sizeof(double));
        if (distances == NULL) return -1;
        buffer->distances = distances;
    }
    buffer->capacity = capacity;
    return 0;
}

static void collect_pair(void *context, int64_t i, int64_t j, double d2)
{
    pair_buffer *buffer = context;
    const double d = sqrt(d2);
    if (!(d <= buffer->max_cutoff && d > buffer->min_cutoff) || buffer->out_of_memory) return;
    if (buffer->count == buffer->capacity && grow(buffer) != 0) {
        buffer->out_of_memory = 1;
        return;
    }
    buffer->pairs[2 * buffer->count] = i;
    buffer->pairs[2 * buffer->count + 1] = j;
    if (buffer->keep_distances) buffer->distances[buffer->count] = d;
    buffer->count++;
}

static PyObject *capped_pairs(PyObject *Py_UNUSED(module), PyObject *args)
{
    PyObject *reference_obj, *configuration_obj, *h_obj, *hinv_obj;
    double max_cutoff, min_cutoff;
    int return_distances;
    if (!PyArg_ParseTuple(args, "OOOOddp", &reference_obj, &configuration_obj, &h_obj, &hinv_obj,
                          &max_cutoff, &min_cutoff, &return_distances)) {
        return NULL;
    }
    if (!(max_cutoff > 0.0) || !isfinite(max_cutoff)) {
        PyErr_SetString(PyExc_ValueError, "max_cutoff must be a positive finite number");
        return NULL;
    }
    PyArrayObject *reference = NULL, *configuration = NULL, *h = NULL, *hinv = NULL;
    PyObject *result = NULL;
    chemlib_grid grid = {0};
    chemlib_binned_points binned_a = {0}, binned_b = {0};
    pair_buffer *buffers = NULL;
    int64_t nchunks = 0;

    reference = chemlib_coordinates_argument(reference_obj, "reference");
    if (reference == NULL) goto done;
    if (configuration_obj != Py_None) {
        configuration = chemlib_coordinates_argument(configuration_obj, "configuration");
        if (configuration == NULL) goto done;
    }
    h = chemlib_matrix_argument(h_obj, "h");
    hinv = chemlib_matrix_argument(hinv_obj, "hinv");
    if (h == NULL || hinv == NULL) goto done;

    const double *a = PyArray_DATA(reference);
    const int64_t a_count = PyArray_DIM(reference, 0);
    const double *b = configuration ? PyArray_DATA(configuration) : NULL;
    const int64_t b_count = configuration ? PyArray_DIM(configuration, 0) : 0;
    int failed = 0;
    chemlib_cell cell;
    Py_BEGIN_ALLOW_THREADS
    chemlib_cell_init(&cell, PyArray_DATA(h), PyArray_DATA(hinv));
    failed = chemlib_grid_init(&grid, &cell, max_cutoff, a, a_count, b, b_count) != 0
             || chemlib_bin_points(&grid, a, a_count, &binned_a) != 0
             || (b != NULL && chemlib_bin_points(&grid, b, b_count, &binned_b) != 0);
    if (!failed) {
        nchunks = (grid.ncells + CELLS_PER_CHUNK - 1) / CELLS_PER_CHUNK;
        buffers = calloc((size_t)nchunks, sizeof(pair_buffer));
        failed = buffers == NULL;
    }
    if (!failed) {
        /* Accept d^2 a hair above the cutoff^2: the kept set is decided on the
         * rounded distance d itself in collect_pair. */
        const double cutoff_sq = max_cutoff * max_cutoff * (1.0 + 1e-12);
        const chemlib_binned_points *second = b != NULL ? &binned_b : &binned_a;
#pragma omp parallel if (a_count + b_count >= CHEMLIB_MIN_PARALLEL_POINTS)
        {
            double *scratch = malloc((size_t)(second->largest_cell + 1) * sizeof(double));
#pragma omp for schedule(dynamic, 1)
            for (int64_t chunk = 0; chunk < nchunks; chunk++) {
                pair_buffer *buffer = &buffers[chunk];
                buffer->max_cutoff = max_cutoff;
                buffer->min_cutoff = min_cutoff;
                buffer->keep_distances = return_distances;
                if (scratch == NULL) {
                    buffer->out_of_memory = 1;
                    continue;
                }
                const int64_t end = (chunk + 1) * CELLS_PER_CHUNK;
                chemlib_visit_pairs(&grid, &binned_a, second, cutoff_sq, chunk * CELLS_PER_CHUNK,
                                    end < grid.ncells ? end : grid.ncells, scratch, collect_pair, buffer);
            }
            free(scratch);
        }
        for (int64_t chunk = 0; chunk < nchunks; chunk++) failed |= buffers[chunk].out_of_memory;
    }
    Py_END_ALLOW_THREADS
    if (failed) {
        PyErr_NoMemory();
        goto done;
    }

    int64_t total = 0;
    for (int64_t chunk = 0; chunk < nchunks; chunk++) total += buffers[chunk].count;
    npy_intp pair_dims[2] = {(npy_intp)total, 2};
    PyArrayObject *pairs = (PyArrayObject *)PyArray_SimpleNew(2, pair_dims, NPY_INT64);
    PyArrayObject *distances = NULL;
    if (pairs != NULL && return_distances) {
        npy_intp distance_dims[1] = {(npy_intp)total};
        distances = (PyArrayObject *)PyArray_SimpleNew(1, distance_dims, NPY_FLOAT64);
    }
    if (pairs == NULL || (return_distances && distances == NULL)) {
        Py_XDECREF(pairs);
        Py_XDECREF(distances);
        goto done;
    }
    int64_t *pair_out = PyArray_DATA(pairs);
    double *distance_out = distances ? PyArray_DATA(distances) : NULL;
    for (int64_t chunk = 0; chunk < nchunks; chunk++) {
        pair_buffer *buffer = &buffers[chunk];
        if (buffer->count == 0) continue;
        memcpy(pair_out, buffer->pairs, (size_t)buffer->count * 2 * sizeof(int64_t));
        pair_out += 2 * buffer->count;
        if (distance_out != NULL) {
            memcpy(distance_out, buffer->distances, (size_t)buffer->count * sizeof(double));
            distance_out += buffer->count;
        }
        /* Give each chunk back as soon as it is copied to keep the peak low. */
        free(buffer->pairs);
        free(buffer->distances);
        buffer->pairs = NULL;
        buffer->distances = NULL;
    }
    if (distances != NULL) {
        result = Py_BuildValue("(NN)", (PyObject *)pairs, (PyObject *)distances);
    } else {
        result = Py_BuildValue("(NO)", (PyObject *)pairs, Py_None);
    }

done:
    if (buffers != NULL) {
        for (int64_t chunk = 0; chunk < nchunks; chunk++) {
            free(buffers[chunk].pairs);
            free(buffers[chunk].distances);
        }
        free(buffers);
    }
    chemlib_binned_points_free(&binned_a);
    chemlib_binned_points_free(&binned_b);
    chemlib_grid_free(&grid);
    Py_XDECREF(reference);
    Py_XDECREF(configuration);
    Py_XDECREF(h);
    Py_XDECREF(hinv);
    return result;
}

static PyMethodDef methods[] = {
    {"capped_pairs", capped_pairs, METH_VARARGS,
     "capped_pairs(reference, configuration, h, hinv, max_cutoff, min_cutoff, return_distances)\n"
     "--\n\n"
     "Pairs within min_cutoff < d <= max_cutoff by cell lists; see chemlib.capped_distance."},
    {0},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "_neighbors",
    .m_doc = "Cell-list neighbour search (see chemlib.neighbors).",
    .m_size = -1,
    .m_methods = methods,
};

PyMODINIT_FUNC PyInit__neighbors(void)
{
    import_array();
    return PyModule_Create(&module);
}
