/*
 * Cell lists: the neighbour search behind capped_distance (neighbors.c) and
 * rdf (rdf.c). Points are binned into a grid of cells at least one cutoff
 * wide, so every pair within the cutoff lies in the same or in adjacent
 * cells: time and memory are O(n + m + k) at uniform density, and no n x m
 * matrix is ever formed.
 *
 * Periodic grids are laid over fractional coordinates, one cell row per
 * (height / cutoff) along each reciprocal direction; a pair of points within
 * the cutoff then differs by at most one cell index along each axis (the
 * fractional difference along axis a is at most cutoff / height_a). Without
 * a cell, the grid covers the bounding box of all points.
 */
#ifndef CHEMLIB_CELL_LIST_H
#define CHEMLIB_CELL_LIST_H

#include <stdint.h>

#include "periodic_cell.h"

/* Below this many points a parallel region costs more than it saves. */
#define CHEMLIB_MIN_PARALLEL_POINTS 2000

/* Points of one set, reordered cell by cell. */
typedef struct {
    int64_t count;
    double *frame;        /* 3 per point: Cartesian (wrapped when periodic) or fractional (triclinic) */
    int64_t *index;       /* original index of each reordered point */
    int64_t *cell_start;  /* points of cell c are [cell_start[c], cell_start[c+1]) */
} chemlib_binned_points;

typedef struct {
    chemlib_cell cell;
    int dims[3];
    int64_t ncells;
    double origin[3];         /* no cell: lower corner of the bounding box */
    double inv_width[3];      /* cells per unit of the frame: Angstrom, or fraction (triclinic) */
    /* Distinct neighbour cells of each cell (itself included), at most 27. */
    int32_t *neighbours;      /* 27 per cell, first neighbour_count[c] valid */
    uint8_t *neighbour_count;
} chemlib_grid;

/*
 * Lay a grid for the cutoff over the points of `a` and, when not NULL, `b`
 * (each (count, 3), C-ordered). Returns 0, or -1 when memory ran out.
 */
int chemlib_grid_init(chemlib_grid *grid, const chemlib_cell *cell, double cutoff,
                      const double *a, int64_t a_count, const double *b, int64_t b_count);
void chemlib_grid_free(chemlib_grid *grid);

/* Bin points (count, 3) into the grid. Returns 0, or -1 when memory ran out. */
int chemlib_bin_points(const chemlib_grid *grid, const double *coords, int64_t count,
                       chemlib_binned_points *binned);
void chemlib_binned_points_free(chemlib_binned_points *binned);

/*
 * Squared minimum-image distance between two points given in the grid's
 * frame. For a triclinic cell, rounding the fractional difference gives the
 * shortest image of any pair within half the smallest cell height, which the
 * Python layer guarantees for the cutoff.
 */
static inline double chemlib_frame_distance_sq(const chemlib_cell *cell, const double *p, const double *q)
{
    double d0 = q[0] - p[0], d1 = q[1] - p[1], d2 = q[2] - p[2];
    if (cell->kind == CELL_ORTHORHOMBIC) {
        d0 -= cell->lengths[0] * chemlib_round_small(d0 * cell->inv_lengths[0]);
        d1 -= cell->lengths[1] * chemlib_round_small(d1 * cell->inv_lengths[1]);
        d2 -= cell->lengths[2] * chemlib_round_small(d2 * cell->inv_lengths[2]);
    } else if (cell->kind == CELL_TRICLINIC) {
        double s0 = d0 - chemlib_round_small(d0);
        double s1 = d1 - chemlib_round_small(d1);
        double s2 = d2 - chemlib_round_small(d2);
        d0 = s0 * cell->h[0][0] + s1 * cell->h[1][0] + s2 * cell->h[2][0];
        d1 = s0 * cell->h[0][1] + s1 * cell->h[1][1] + s2 * cell->h[2][1];
        d2 = s0 * cell->h[0][2] + s1 * cell->h[1][2] + s2 * cell->h[2][2];
    }
    return d0 * d0 + d1 * d1 + d2 * d2;
}

/*
 * Call visit(context, i, j, d2) for every pair with squared distance
 * d2 <= cutoff_sq whose first point lies in a cell of [cell_begin, cell_end)
 * of `a` and whose second point is in `b`. With a == b (self search) each
 * unordered pair is visited once and i < j. i and j are original indices.
 * The visitor is a compile-time constant in every caller, so the compiler
 * inlines it into this loop.
 */
static inline void chemlib_visit_pairs(
    const chemlib_grid *grid, const chemlib_binned_points *a, const chemlib_binned_points *b,
    double cutoff_sq, int64_t cell_begin, int64_t cell_end,
    void (*visit)(void *context, int64_t i, int64_t j, double d2), void *context)
{
    const int self = (a == b);
    for (int64_t c = cell_begin; c < cell_end; c++) {
        const int64_t a_begin = a->cell_start[c], a_end = a->cell_start[c + 1];
        if (a_begin == a_end) continue;
        const int32_t *neighbours = grid->neighbours + 27 * c;
        for (int k = 0; k < grid->neighbour_count[c]; k++) {
            const int64_t nc = neighbours[k];
            if (self && nc < c) continue; /* that cell pair is visited from nc */
            const int64_t b_begin = b->cell_start[nc], b_end = b->cell_start[nc + 1];
            for (int64_t p = a_begin; p < a_end; p++) {
                const double *pp = a->frame + 3 * p;
                const int64_t q_begin = (self && nc == c) ? p + 1 : b_begin;
                for (int64_t q = q_begin; q < b_end; q++) {
                    const double d2 = chemlib_frame_distance_sq(&grid->cell, pp, b->frame + 3 * q);
                    if (d2 <= cutoff_sq) {
                        int64_t i = a->index[p], j = b->index[q];
                        if (self && i > j) {
                            const int64_t t = i;
                            i = j;
                            j = t;
                        }
                        visit(context, i, j, d2);
                    }
                }
            }
        }
    }
}

#endif
