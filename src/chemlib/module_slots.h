/*
 * The module slots every chemlib C extension declares (multi-phase init,
 * PEP 489): on free-threaded CPython (3.13t and later) the Py_mod_gil slot
 * says the module runs safely without the GIL, so importing it does not turn
 * the GIL back on. The entry is only compiled where Python.h defines the slot
 * (3.13 and later); a build with the GIL accepts it and changes nothing.
 *
 * Why it is safe, for the C kernels (finite_check.c, neighbors.c, rdf.c,
 * cell_list.c and the headers they include): no function has a static or
 * global variable that a call writes. Their only file-scope objects are the
 * PyMethodDef/PyModuleDef/PyModuleDef_Slot tables, written by the compiler
 * and only read afterwards. Every buffer (cell grids, pair buffers,
 * histograms) is malloc'ed by the call that uses it and freed before it
 * returns or handed to the array it returns; nothing is cached between
 * calls. Concurrent calls share nothing but their input arrays, which they
 * only read. The OpenMP regions inside a call are private to it: libgomp
 * gives each calling thread its own team.
 */
#ifndef CHEMLIB_MODULE_SLOTS_H
#define CHEMLIB_MODULE_SLOTS_H

#include <Python.h>

static PyModuleDef_Slot chemlib_module_slots[] = {
#ifdef Py_mod_gil
    {Py_mod_gil, Py_MOD_GIL_NOT_USED},
#endif
    {0, NULL},
};

#endif
