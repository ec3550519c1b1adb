/*
 * chemlib._finite_check: does a float64 array hold only finite values?
 *
 * The argument checks in chemlib/_arguments.py run it on every coordinate
 * array before any kernel. It reads the array once, in parallel, testing the
 * exponent bits (all ones for inf and NaN) with integer operations that
 * vectorise. NumPy's own reductions are single-threaded, and calling NumPy's
 * BLAS for a faster screen leaves its spinning threads competing with the
 * kernel's OpenMP threads right after.
 *
 * all_finite(array) -> bool
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#define NPY_NO_DEPRECATED_API NPY_1_23_API_VERSION
#include <numpy/arrayobject.h>

#include "module_slots.h"

#include <stdint.h>
#include <string.h>

/* Below this many values a parallel region costs more than it saves. */
#define MIN_PARALLEL_VALUES (1 << 18)

static PyObject *all_finite(PyObject *Py_UNUSED(module), PyObject *arg)
{
    PyArrayObject *array = (PyArrayObject *)PyArray_FROMANY(arg, NPY_FLOAT64, 0, 0, NPY_ARRAY_IN_ARRAY);
    if (array == NULL) return NULL;
    const double *values = PyArray_DATA(array);
    const int64_t count = PyArray_SIZE(array);
    uint64_t special = 0;
    Py_BEGIN_ALLOW_THREADS
#pragma omp parallel for reduction(| : special) schedule(static) if (count >= MIN_PARALLEL_VALUES)
    for (int64_t i = 0; i < count; i++) {
        uint64_t bits;
        memcpy(&bits, values + i, sizeof bits);
        special |= ((bits >> 52) & 0x7ff) == 0x7ff;
    }
    Py_END_ALLOW_THREADS
    Py_DECREF(array);
    return PyBool_FromLong(special == 0);
}

static PyMethodDef methods[] = {
    {"all_finite", all_finite, METH_O,
     "all_finite(array)\n--\n\nTrue if every value of the float64 array is finite (no inf, no NaN)."},
    {0},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "_finite_check",
    .m_doc = "Finite-value screen for chemlib's argument checks.",
    .m_size = 0,
    .m_methods = methods,
    .m_slots = chemlib_module_slots,
};

PyMODINIT_FUNC PyInit__finite_check(void)
{
    import_array();
    return PyModuleDef_Init(&module);
}
