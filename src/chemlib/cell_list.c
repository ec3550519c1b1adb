/* Cell-list grids and binning; the pair traversal is inline in cell_list.h. */
#include "cell_list.h"

#include <stdlib.h>
#include <string.h>

/* Cap on the number of cells, relative to the number of points: a tiny cutoff
 * in a large, sparse system must not allocate an enormous empty grid. Cells
 * only grow under the cap, so every cell stays at least one cutoff wide. */
#define CELLS_PER_POINT 1
#define MIN_CELL_CAP 27

static int compare_int32(const void *x, const void *y)
{
    const int32_t a = *(const int32_t *)x, b = *(const int32_t *)y;
    return (a > b) - (a < b);
}

static void bounding_box(const double *coords, int64_t count, double lo[3], double hi[3])
{
    for (int64_t p = 0; p < count; p++) {
        for (int k = 0; k < 3; k++) {
            const double v = coords[3 * p + k];
            if (v < lo[k]) lo[k] = v;
            if (v > hi[k]) hi[k] = v;
        }
    }
}

static void shrink_to_cap(int dims[3], int64_t cap)
{
    while ((int64_t)dims[0] * dims[1] * dims[2] > cap) {
        const double scale = cbrt((double)cap / ((double)dims[0] * dims[1] * dims[2]));
        for (int k = 0; k < 3; k++) {
            int shrunk = (int)(dims[k] * scale);
            /* Guarantee progress when rounding keeps every dimension. */
            if (shrunk >= dims[k]) shrunk = dims[k] - 1;
            dims[k] = shrunk < 1 ? 1 : shrunk;
        }
    }
}

static int64_t cell_of(const chemlib_grid *grid, const double frame[3])
{
    int64_t index = 0;
    for (int k = 0; k < 3; k++) {
        const double offset = grid->cell.kind == CELL_NONE ? frame[k] - grid->origin[k] : frame[k];
        int64_t i = (int64_t)(offset * grid->inv_width[k]);
        if (i < 0) i = 0;
        if (i >= grid->dims[k]) i = grid->dims[k] - 1;
        index = index * grid->dims[k] + i;
    }
    return index;
}

static void to_frame(const chemlib_cell *cell, const double x[3], double frame[3])
{
    if (cell->kind == CELL_NONE) {
        memcpy(frame, x, 3 * sizeof(double));
        return;
    }
    chemlib_fractional_wrapped(cell, x, frame);
    if (cell->kind == CELL_ORTHORHOMBIC) {
        for (int k = 0; k < 3; k++) frame[k] *= cell->lengths[k];
    }
}

int chemlib_grid_init(chemlib_grid *grid, const chemlib_cell *cell, double cutoff,
                      const double *a, int64_t a_count, const double *b, int64_t b_count)
{
    memset(grid, 0, sizeof(*grid));
    grid->cell = *cell;
    const int64_t points = a_count + (b != NULL ? b_count : 0);
    double extent[3];
    if (cell->kind == CELL_NONE) {
        double lo[3] = {INFINITY, INFINITY, INFINITY}, hi[3] = {-INFINITY, -INFINITY, -INFINITY};
        bounding_box(a, a_count, lo, hi);
        if (b != NULL) bounding_box(b, b_count, lo, hi);
        for (int k = 0; k < 3; k++) {
            grid->origin[k] = points > 0 ? lo[k] : 0.0;
            extent[k] = points > 0 ? hi[k] - lo[k] : 0.0;
        }
    } else {
        for (int k = 0; k < 3; k++) extent[k] = cell->heights[k];
    }
    for (int k = 0; k < 3; k++) {
        const double cells = floor(extent[k] / cutoff);
        grid->dims[k] = cells < 1.0 ? 1 : (cells > 1e6 ? 1000000 : (int)cells);
    }
    const int64_t cap = points * CELLS_PER_POINT;
    shrink_to_cap(grid->dims, cap < MIN_CELL_CAP ? MIN_CELL_CAP : cap);
    for (int k = 0; k < 3; k++) {
        if (cell->kind == CELL_NONE) {
            grid->inv_width[k] = extent[k] > 0.0 ? grid->dims[k] / extent[k] : 0.0;
        } else if (cell->kind == CELL_ORTHORHOMBIC) {
            grid->inv_width[k] = grid->dims[k] * cell->inv_lengths[k]; /* frame in [0, L) */
        } else {
            grid->inv_width[k] = grid->dims[k]; /* fractional frame in [0, 1) */
        }
    }
    grid->ncells = (int64_t)grid->dims[0] * grid->dims[1] * grid->dims[2];
    grid->neighbours = malloc((size_t)grid->ncells * 27 * sizeof(int32_t));
    grid->neighbour_count = malloc((size_t)grid->ncells);
    if (grid->neighbours == NULL || grid->neighbour_count == NULL) {
        chemlib_grid_free(grid);
        return -1;
    }
    const int periodic = cell->kind != CELL_NONE;
    for (int x = 0; x < grid->dims[0]; x++) {
        for (int y = 0; y < grid->dims[1]; y++) {
            for (int z = 0; z < grid->dims[2]; z++) {
                const int64_t c = ((int64_t)x * grid->dims[1] + y) * grid->dims[2] + z;
                int32_t *list = grid->neighbours + 27 * c;
                int count = 0;
                for (int dx = -1; dx <= 1; dx++) {
                    for (int dy = -1; dy <= 1; dy++) {
                        for (int dz = -1; dz <= 1; dz++) {
                            int n[3] = {x + dx, y + dy, z + dz};
                            int inside = 1;
                            for (int k = 0; k < 3; k++) {
                                if (periodic) {
                                    n[k] = (n[k] + grid->dims[k]) % grid->dims[k];
                                } else if (n[k] < 0 || n[k] >= grid->dims[k]) {
                                    inside = 0;
                                }
                            }
                            if (inside) list[count++] = (int32_t)((n[0] * grid->dims[1] + n[1]) * grid->dims[2] + n[2]);
                        }
                    }
                }
                /* With fewer than three cells along an axis, offsets -1 and +1
                 * reach the same cell: keep each neighbour once. */
                qsort(list, (size_t)count, sizeof(int32_t), compare_int32);
                int unique = 0;
                for (int i = 0; i < count; i++) {
                    if (unique == 0 || list[unique - 1] != list[i]) list[unique++] = list[i];
                }
                grid->neighbour_count[c] = (uint8_t)unique;
            }
        }
    }
    return 0;
}

void chemlib_grid_free(chemlib_grid *grid)
{
    free(grid->neighbours);
    free(grid->neighbour_count);
    grid->neighbours = NULL;
    grid->neighbour_count = NULL;
}

int chemlib_bin_points(const chemlib_grid *grid, const double *coords, int64_t count,
                       chemlib_binned_points *binned)
{
    memset(binned, 0, sizeof(*binned));
    binned->count = count;
    const size_t n = (size_t)(count > 0 ? count : 1);
    binned->frame = malloc(3 * n * sizeof(double));
    binned->index = malloc(n * sizeof(int64_t));
    binned->cell_start = calloc((size_t)grid->ncells + 1, sizeof(int64_t));
    double *frame = malloc(3 * n * sizeof(double));
    int64_t *cells = malloc(n * sizeof(int64_t));
    if (!binned->frame || !binned->index || !binned->cell_start || !frame || !cells) {
        free(frame);
        free(cells);
        chemlib_binned_points_free(binned);
        return -1;
    }
    /* Counting sort by cell: starts, then placement in input order, so the
     * layout (and every result built on it) is the same on every run. */
    for (int64_t p = 0; p < count; p++) {
        to_frame(&grid->cell, coords + 3 * p, frame + 3 * p);
        cells[p] = cell_of(grid, frame + 3 * p);
        binned->cell_start[cells[p] + 1]++;
    }
    for (int64_t c = 0; c < grid->ncells; c++) binned->cell_start[c + 1] += binned->cell_start[c];
    int64_t *fill = malloc((size_t)grid->ncells * sizeof(int64_t));
    if (fill == NULL) {
        free(frame);
        free(cells);
        chemlib_binned_points_free(binned);
        return -1;
    }
    memcpy(fill, binned->cell_start, (size_t)grid->ncells * sizeof(int64_t));
    for (int64_t p = 0; p < count; p++) {
        const int64_t slot = fill[cells[p]]++;
        memcpy(binned->frame + 3 * slot, frame + 3 * p, 3 * sizeof(double));
        binned->index[slot] = p;
    }
    free(fill);
    free(frame);
    free(cells);
    return 0;
}

void chemlib_binned_points_free(chemlib_binned_points *binned)
{
    free(binned->frame);
    free(binned->index);
    free(binned->cell_start);
    binned->frame = NULL;
    binned->index = NULL;
    binned->cell_start = NULL;
}
