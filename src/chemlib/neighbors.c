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
 * number of threads, and handed to NumPy without a second copy of the output.
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

/*
 * Concatenate the chunks' pairs (field 0) or distances (field 1) into the
 * first non-empty chunk's buffer, grown in place, freeing each chunk once
 * copied: the peak stays near the output plus one chunk rather than twice
 * the output. Ownership of the result (NULL when memory ran out) passes to
 * the caller; the chunks' pointers for that field are cleared either way.
 */
static void *join_chunks(pair_buffer *buffers, int64_t nchunks, int64_t total, int field)
{
    const size_t item = field == 0 ? 2 * sizeof(int64_t) : sizeof(double);
    char *joined = NULL;
    int64_t filled = 0;
    int failed = 0;
    for (int64_t chunk = 0; chunk < nchunks; chunk++) {
        void **part = field == 0 ? (void **)&buffers[chunk].pairs : (void **)&buffers[chunk].distances;
        const int64_t count = buffers[chunk].count;
        if (count > 0 && !failed) {
            if (joined == NULL) {
                joined = realloc(*part, (size_t)total * item);
                if (joined != NULL) *part = NULL;
            } else {
                memcpy(joined + (size_t)filled * item, *part, (size_t)count * item);
            }
            failed = joined == NULL;
            filled += count;
        }
        free(*part);
        *part = NULL;
    }
    if (failed) return NULL;
    /* No pairs at all: an empty array still needs a valid pointer. */
    return joined != NULL ? joined : malloc(item);
}

static void free_capsule_data(PyObject *capsule)
{
    free(PyCapsule_GetPointer(capsule, NULL));
}

/* A NumPy array over malloc'd data that frees it when the array dies.
 * Takes ownership of data (NULL: out of memory). */
static PyObject *owning_array(void *data, int ndim, npy_intp *dims, int typenum)
{
    if (data == NULL) return PyErr_NoMemory();
    PyObject *array = PyArray_SimpleNewFromData(ndim, dims, typenum, data);
    if (array == NULL) {
        free(data);
        return NULL;
    }
    PyObject *capsule = PyCapsule_New(data, NULL, free_capsule_data);
    if (capsule == NULL) {
        Py_DECREF(array);
        free(data);
        return NULL;
    }
    /* Steals the capsule reference, also on failure. */
    if (PyArray_SetBaseObject((PyArrayObject *)array, capsule) < 0) {
        Py_DECREF(array);
        return NULL;
    }
    return array;
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
    PyObject *result = NULL;
    chemlib_cell_search search;
    pair_buffer *buffers = NULL;
    int64_t nchunks = 0;
    if (chemlib_cell_search_arguments(&search, reference_obj, configuration_obj, h_obj, hinv_obj) != 0) {
        goto done;
    }
    int failed = 0;
    Py_BEGIN_ALLOW_THREADS
    failed = chemlib_cell_search_prepare(&search, max_cutoff) != 0;
    if (!failed) {
        nchunks = (search.grid.ncells + CELLS_PER_CHUNK - 1) / CELLS_PER_CHUNK;
        buffers = calloc((size_t)nchunks, sizeof(pair_buffer));
        failed = buffers == NULL;
    }
    if (!failed) {
        /* Accept d^2 a hair above the cutoff^2: the kept set is decided on the
         * rounded distance d itself in collect_pair. */
        const double cutoff_sq = max_cutoff * max_cutoff * (1.0 + 1e-12);
        const chemlib_binned_points *partners = chemlib_cell_search_partners(&search);
#pragma omp parallel if (chemlib_cell_search_parallel(&search))
        {
            double *scratch = malloc((size_t)(partners->largest_cell + 1) * sizeof(double));
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
                chemlib_visit_pairs(&search.grid, &search.binned_reference, partners, cutoff_sq,
                                    chunk * CELLS_PER_CHUNK, end < search.grid.ncells ? end : search.grid.ncells,
                                    scratch, collect_pair, buffer);
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
    npy_intp pair_dims[2] = {(npy_intp)total, 2}, distance_dims[1] = {(npy_intp)total};
    PyObject *pairs = owning_array(join_chunks(buffers, nchunks, total, 0), 2, pair_dims, NPY_INT64);
    if (pairs == NULL) goto done;
    if (return_distances) {
        PyObject *distances = owning_array(join_chunks(buffers, nchunks, total, 1), 1, distance_dims, NPY_FLOAT64);
        if (distances == NULL) {
            Py_DECREF(pairs);
            goto done;
        }
        result = Py_BuildValue("(NN)", pairs, distances);
    } else {
        result = Py_BuildValue("(NO)", pairs, Py_None);
    }

done:
    if (buffers != NULL) {
        for (int64_t chunk = 0; chunk < nchunks; chunk++) {
            free(buffers[chunk].pairs);
            free(buffers[chunk].distances);
        }
        free(buffers);
    }
    chemlib_cell_search_free(&search);
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
    .m_size = 0,
    .m_methods = methods,
    .m_slots = chemlib_module_slots,
};

PyMODINIT_FUNC PyInit__neighbors(void)
{
    import_array();
    return PyModuleDef_Init(&module);
}
