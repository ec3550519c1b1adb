/*
 * Cell lists: the neighbour search behind capped_distance (neighbors.c) and
 * rdf (rdf.c). Points are binned into a grid of cells at least cutoff/reach
 * wide, so every pair within the cutoff lies within `reach` cells of each
 * other along every axis: time and memory are O(n + m + k) at uniform
 * density, and no n x m matrix is ever formed.
 *
 * Periodic grids are laid over fractional coordinates, (height / cutoff) *
 * reach cells along each reciprocal direction; the fractional difference of a
 * pair within the cutoff is at most cutoff / height along each axis. Without
 * a cell, the grid covers the bounding box of all points.
 */
#ifndef CHEMLIB_CELL_LIST_H
#define CHEMLIB_CELL_LIST_H

#include <stdint.h>

#include "periodic_cell.h"

/* Below this many points a parallel region costs more than it saves. */
#define CHEMLIB_MIN_PARALLEL_POINTS 2000

/* Points of one set, reordered cell by cell, in the grid's frame: Cartesian
 * (wrapped into [0, L) when orthorhombic) or fractional (triclinic). Stored
 * as separate x, y, z columns so that distance loops vectorise. */
typedef struct {
    int64_t count;
    double *x, *y, *z;
    int64_t *index;       /* original index of each reordered point */
    int64_t *cell_start;  /* points of cell c are [cell_start[c], cell_start[c+1]) */
    int64_t largest_cell; /* most points in one cell */
} chemlib_binned_points;

typedef struct {
    chemlib_cell cell;
    int reach;                 /* cells per cutoff: neighbours lie within +-reach */
    int dims[3];
    int64_t ncells;
    double origin[3];          /* no cell: lower corner of the bounding box */
    double inv_width[3];       /* cells per unit of the frame */
    /* Along each axis, the distinct cells within +-reach of cell i (wrapped
     * when periodic): axis_neighbours[k][(2 reach + 1) i + t], t < axis_count[k][i].
     * A grid with fewer than 2 reach + 1 cells along an axis reaches some cells
     * twice; keeping each once keeps every pair found once. */
    int32_t *axis_neighbours[3];
    uint8_t *axis_count[3];
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
 * Squared minimum-image distances from point (px, py, pz) to points
 * [begin, end) of `b`, into d2[0 .. end - begin). For a triclinic cell,
 * rounding the fractional difference gives the shortest image of any pair
 * within half the smallest cell height, which the Python layer guarantees
 * for the cutoff. The loops are simple enough for the compiler to vectorise.
 */
static inline void chemlib_block_distances(const chemlib_cell *cell, double px, double py, double pz,
                                           const chemlib_binned_points *b, int64_t begin, int64_t end,
                                           double *restrict d2)
{
    const double *restrict x = b->x + begin;
    const double *restrict y = b->y + begin;
    const double *restrict z = b->z + begin;
    const int64_t n = end - begin;
    if (cell->kind == CELL_NONE) {
        for (int64_t q = 0; q < n; q++) {
            const double dx = x[q] - px, dy = y[q] - py, dz = z[q] - pz;
            d2[q] = dx * dx + dy * dy + dz * dz;
        }
    } else if (cell->kind == CELL_ORTHORHOMBIC) {
        const double lx = cell->lengths[0], ly = cell->lengths[1], lz = cell->lengths[2];
        const double ix = cell->inv_lengths[0], iy = cell->inv_lengths[1], iz = cell->inv_lengths[2];
        for (int64_t q = 0; q < n; q++) {
            double dx = x[q] - px, dy = y[q] - py, dz = z[q] - pz;
            dx -= lx * chemlib_round_small(dx * ix);
            dy -= ly * chemlib_round_small(dy * iy);
            dz -= lz * chemlib_round_small(dz * iz);
            d2[q] = dx * dx + dy * dy + dz * dz;
        }
    } else {
        const double(*h)[3] = cell->h;
        for (int64_t q = 0; q < n; q++) {
            double sa = x[q] - px, sb = y[q] - py, sc = z[q] - pz;
            sa -= chemlib_round_small(sa);
            sb -= chemlib_round_small(sb);
            sc -= chemlib_round_small(sc);
            const double dx = sa * h[0][0] + sb * h[1][0] + sc * h[2][0];
            const double dy = sa * h[0][1] + sb * h[1][1] + sc * h[2][1];
            const double dz = sa * h[0][2] + sb * h[1][2] + sc * h[2][2];
            d2[q] = dx * dx + dy * dy + dz * dz;
        }
    }
}

/*
 * Call visit(context, i, j, d2) for every pair with squared distance
 * d2 <= cutoff_sq whose first point lies in a cell of [cell_begin, cell_end)
 * of `a` and whose second point is in `b`. With a == b (self search) each
 * unordered pair is visited once and i < j. i and j are original indices.
 * scratch holds at least b->largest_cell doubles. The visitor is a
 * compile-time constant in every caller, so the compiler inlines it.
 */
static inline void chemlib_visit_pairs(
    const chemlib_grid *grid, const chemlib_binned_points *a, const chemlib_binned_points *b,
    double cutoff_sq, int64_t cell_begin, int64_t cell_end, double *scratch,
    void (*visit)(void *context, int64_t i, int64_t j, double d2), void *context)
{
    const int self = (a == b);
    const int span = 2 * grid->reach + 1;
    const int ny = grid->dims[1], nz = grid->dims[2];
    for (int64_t c = cell_begin; c < cell_end; c++) {
        const int64_t a_begin = a->cell_start[c], a_end = a->cell_start[c + 1];
        if (a_begin == a_end) continue;
        const int cx = (int)(c / ((int64_t)ny * nz)), cy = (int)((c / nz) % ny), cz = (int)(c % nz);
        for (int tx = 0; tx < grid->axis_count[0][cx]; tx++) {
            const int64_t nx_index = grid->axis_neighbours[0][span * cx + tx];
            for (int ty = 0; ty < grid->axis_count[1][cy]; ty++) {
                const int64_t nxy = nx_index * ny + grid->axis_neighbours[1][span * cy + ty];
                for (int tz = 0; tz < grid->axis_count[2][cz]; tz++) {
                    const int64_t nc = nxy * nz + grid->axis_neighbours[2][span * cz + tz];
                    if (self && nc < c) continue; /* that cell pair is visited from nc */
                    const int64_t b_begin = b->cell_start[nc], b_end = b->cell_start[nc + 1];
                    if (b_begin == b_end) continue;
                    for (int64_t p = a_begin; p < a_end; p++) {
                        const int64_t q_begin = (self && nc == c) ? p + 1 : b_begin;
                        if (q_begin >= b_end) continue;
                        chemlib_block_distances(&grid->cell, a->x[p], a->y[p], a->z[p], b, q_begin, b_end, scratch);
                        for (int64_t q = q_begin; q < b_end; q++) {
                            const double d2 = scratch[q - q_begin];
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
    }
}

#endif
