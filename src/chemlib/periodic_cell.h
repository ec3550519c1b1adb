/*
 * Periodic cells for the C kernels: the C twin of minimum_image.f90.
 *
 * Python (chemlib/_box.py) hands every kernel two C-ordered 3x3 matrices: H,
 * whose rows are the box vectors a, b, c (MDAnalysis' triclinic_vectors), and
 * its inverse. With row vectors, x = s H and s = x H^-1, so the columns of
 * H^-1 are the reciprocal vectors. The kind of cell is derived from H: all
 * zero means no periodicity, diagonal means orthorhombic.
 */
#ifndef CHEMLIB_PERIODIC_CELL_H
#define CHEMLIB_PERIODIC_CELL_H

#include <math.h>

enum chemlib_cell_kind { CELL_NONE = 0, CELL_ORTHORHOMBIC = 1, CELL_TRICLINIC = 2 };

typedef struct {
    enum chemlib_cell_kind kind;
    double h[3][3];    /* rows: box vectors (Angstrom) */
    double hinv[3][3]; /* columns: reciprocal vectors (1/Angstrom) */
    double lengths[3]; /* diagonal of h */
    double inv_lengths[3];
    double heights[3]; /* distance between opposite faces */
} chemlib_cell;

/*
 * (x + 1.5*2^52) - 1.5*2^52 rounds to the nearest integer (ties to even) with
 * two additions, for |x| < 2^51; callers wrap coordinates into the cell first
 * so differences stay within one cell length. nearbyint() is a library call
 * at the x86-64 baseline and keeps loops from vectorising.
 */
#define CHEMLIB_ROUNDING_SHIFT 6755399441055744.0

static inline double chemlib_round_small(double x)
{
    return (x + CHEMLIB_ROUNDING_SHIFT) - CHEMLIB_ROUNDING_SHIFT;
}

static inline void chemlib_cell_init(chemlib_cell *cell, const double *h, const double *hinv)
{
    int zero = 1, diagonal = 1;
    for (int i = 0; i < 3; i++) {
        for (int j = 0; j < 3; j++) {
            cell->h[i][j] = h[3 * i + j];
            cell->hinv[i][j] = hinv[3 * i + j];
            if (h[3 * i + j] != 0.0) {
                zero = 0;
                if (i != j) diagonal = 0;
            }
        }
    }
    cell->kind = zero ? CELL_NONE : (diagonal ? CELL_ORTHORHOMBIC : CELL_TRICLINIC);
    for (int i = 0; i < 3; i++) {
        cell->lengths[i] = cell->h[i][i];
        cell->inv_lengths[i] = cell->hinv[i][i];
        double norm2 = 0.0;
        for (int k = 0; k < 3; k++) norm2 += cell->hinv[k][i] * cell->hinv[k][i];
        cell->heights[i] = zero ? 0.0 : 1.0 / sqrt(norm2);
    }
}

/* Fractional coordinates s = x H^-1, each folded into [0, 1). */
static inline void chemlib_fractional_wrapped(const chemlib_cell *cell, const double x[3], double s[3])
{
    for (int j = 0; j < 3; j++) {
        double v = x[0] * cell->hinv[0][j] + x[1] * cell->hinv[1][j] + x[2] * cell->hinv[2][j];
        v -= floor(v);
        s[j] = v < 1.0 ? v : 0.0; /* v just below an integer can round up to 1 */
    }
}

#endif
