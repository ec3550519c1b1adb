/*
 * Argument conversion shared by the C extension modules. chemlib's Python
 * layer validates and converts every argument before calling in; these checks
 * only make sure that a direct call with wrong arguments raises instead of
 * crashing the interpreter.
 */
#ifndef CHEMLIB_KERNEL_ARGUMENTS_H
#define CHEMLIB_KERNEL_ARGUMENTS_H

#include <Python.h>
#include <numpy/arrayobject.h>

/* (n, 3) float64, C-contiguous and aligned; a new reference or NULL. */
static inline PyArrayObject *chemlib_coordinates_argument(PyObject *obj, const char *name)
{
    PyArrayObject *array = (PyArrayObject *)PyArray_FROMANY(obj, NPY_FLOAT64, 2, 2, NPY_ARRAY_IN_ARRAY);
    if (array == NULL) return NULL;
    if (PyArray_DIM(array, 1) != 3) {
        PyErr_Format(PyExc_ValueError, "%s must have shape (n, 3), got (%zd, %zd)", name,
                     (Py_ssize_t)PyArray_DIM(array, 0), (Py_ssize_t)PyArray_DIM(array, 1));
        Py_DECREF(array);
        return NULL;
    }
    return array;
}

/* 3x3 float64, C-contiguous; a new reference or NULL. */
static inline PyArrayObject *chemlib_matrix_argument(PyObject *obj, const char *name)
{
    PyArrayObject *array = (PyArrayObject *)PyArray_FROMANY(obj, NPY_FLOAT64, 2, 2, NPY_ARRAY_IN_ARRAY);
    if (array == NULL) return NULL;
    if (PyArray_DIM(array, 0) != 3 || PyArray_DIM(array, 1) != 3) {
        PyErr_Format(PyExc_ValueError, "%s must have shape (3, 3)", name);
        Py_DECREF(array);
        return NULL;
    }
    return array;
}

#endif
