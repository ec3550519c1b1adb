/*
 * chemlib._rdf: histogram of pair distances for the radial distribution
 * function, by cell lists (cell_list.h), as a C extension using the NumPy C
 * API. Pairs are binned as they are found: no pair list and no n x m matrix.
 *
 * pair_histogram(reference, configuration, h, hinv, edges) -> counts (nbins,) int64
 *
 * configuration None counts each unordered pair i < j of reference once.
 * edges are np.linspace(rmin, rmax, nbins + 1); a distance d is binned as
 * numpy.histogram bins it (half-open bins, the last one closed), so the
 * counts equal numpy.histogram(d, edges) over all pair distances d.
 * Threads fill private histograms that are summed at the end: integer counts
 * do not depend on the number of threads.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#define NPY_NO_DEPRECATED_API NPY_1_23_API_VERSION
#include <numpy/arrayobject.h>

#include "module_slots.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cell_search.h"

#define CELLS_PER_CHUNK 64

typedef struct {
    const double *edges;
    int64_t nbins;
    double scale; /* nbins / (rmax - rmin) */
    int64_t *counts;
} histogram;

static void bin_pair(void *context, int64_t Py_UNUSED(i), int64_t Py_UNUSED(j), double d2)
{
    histogram *hist = context;
    const double d = sqrt(d2);
    const double *edges = hist->edges;
    if (d < edges[0] || d > edges[hist->nbins]) return;
    /* numpy.histogram's rule: estimate the bin, then correct it against the
     * edges so that rounding never moves a distance across an edge. */
    int64_t bin = (int64_t)((d - edges[0]) * hist->scale);
    if (bin >= hist->nbins) bin = hist->nbins - 1;
    if (d < edges[bin]) {
        bin--;
    } else if (d >= edges[bin + 1] && bin != hist->nbins - 1) {
        bin++;
    }
    hist->counts[bin]++;
}

static PyObject *pair_histogram(PyObject *Py_UNUSED(module), PyObject *args)
{
    PyObject *reference_obj, *configuration_obj, *h_obj, *hinv_obj, *edges_obj;
    if (!PyArg_ParseTuple(args, "OOOOO", &reference_obj, &configuration_obj, &h_obj, &hinv_obj,
                          &edges_obj)) {
        return NULL;
    }
    PyArrayObject *edges = NULL, *counts = NULL;
    chemlib_cell_search search;
    if (chemlib_cell_search_arguments(&search, reference_obj, configuration_obj, h_obj, hinv_obj) != 0) {
        goto done;
    }
    edges = (PyArrayObject *)PyArray_FROMANY(edges_obj, NPY_FLOAT64, 1, 1, NPY_ARRAY_IN_ARRAY);
    if (edges == NULL) goto done;
    const int64_t nbins = PyArray_DIM(edges, 0) - 1;
    const double *edge = PyArray_DATA(edges);
    if (nbins < 1 || !(edge[0] >= 0.0) || !(edge[nbins] > edge[0]) || !isfinite(edge[nbins])) {
        PyErr_SetString(PyExc_ValueError, "edges must be increasing, finite and non-negative, with at least 2 entries");
        goto done;
    }
    npy_intp count_dims[1] = {(npy_intp)nbins};
    counts = (PyArrayObject *)PyArray_ZEROS(1, count_dims, NPY_INT64, 0);
    if (counts == NULL) goto done;

    const double rmax = edge[nbins];
    int failed = 0;
    Py_BEGIN_ALLOW_THREADS
    failed = chemlib_cell_search_prepare(&search, rmax) != 0;
    if (!failed) {
        const int64_t nchunks = (search.grid.ncells + CELLS_PER_CHUNK - 1) / CELLS_PER_CHUNK;
        const double cutoff_sq = rmax * rmax * (1.0 + 1e-12);
        const chemlib_binned_points *partners = chemlib_cell_search_partners(&search);
        int64_t *total = PyArray_DATA(counts);
#pragma omp parallel if (chemlib_cell_search_parallel(&search))
        {
            histogram local = {edge, nbins, nbins / (rmax - edge[0]), calloc((size_t)nbins, sizeof(int64_t))};
            double *scratch = malloc((size_t)(partners->largest_cell + 1) * sizeof(double));
            if (local.counts == NULL || scratch == NULL) {
#pragma omp critical(chemlib_rdf_failed)
                failed = 1;
            }
#pragma omp for schedule(dynamic, 1)
            for (int64_t chunk = 0; chunk < nchunks; chunk++) {
                if (local.counts == NULL || scratch == NULL) continue;
                const int64_t end = (chunk + 1) * CELLS_PER_CHUNK;
                chemlib_visit_pairs(&search.grid, &search.binned_reference, partners, cutoff_sq,
                                    chunk * CELLS_PER_CHUNK, end < search.grid.ncells ? end : search.grid.ncells,
                                    scratch, bin_pair, &local);
            }
            free(scratch);
            if (local.counts != NULL) {
#pragma omp critical(chemlib_rdf_sum)
                for (int64_t bin = 0; bin < nbins; bin++) total[bin] += local.counts[bin];
                free(local.counts);
            }
        }
    }
    Py_END_ALLOW_THREADS
    if (failed) {
        Py_CLEAR(counts);
        PyErr_NoMemory();
    }

done:
    chemlib_cell_search_free(&search);
    Py_XDECREF(edges);
    return (PyObject *)counts;
}

static PyMethodDef methods[] = {
    {"pair_histogram", pair_histogram, METH_VARARGS,
     "pair_histogram(reference, configuration, h, hinv, edges)\n"
     "--\n\n"
     "Counts of pair distances in the bins given by edges; see chemlib.rdf."},
    {0},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "_rdf",
    .m_doc = "Pair-distance histograms for chemlib.rdf.",
    .m_size = 0,
    .m_methods = methods,
    .m_slots = chemlib_module_slots,
};

PyMODINIT_FUNC PyInit__rdf(void)
{
    import_array();
    return PyModuleDef_Init(&module);
}
