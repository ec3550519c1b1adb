/* Cell-list grids and binning; the pair traversal is inline in cell_list.h. */
#include "cell_list.h"

#include <stdlib.h>
#include <string.h>

/* Cells per cutoff. Half-cutoff cells (reach 2) cut the volume searched
 * around each point from 27 to 15.6 cutoff^3 at the price of more, emptier
 * cells. */
#define REACH 2
/* Cap on the number of cells, relative to the number of points: a tiny cutoff
 * in a large, sparse system must not allocate an enormous empty grid. Cells
 * only grow under the cap, so every cell stays at least cutoff/REACH wide. */
#define CELLS_PER_POINT 1
#define MIN_CELL_CAP 125
#define MAX_CELLS_PER_AXIS 1000000

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

/* Distinct cells within +-reach of each cell along one axis. */
static int fill_axis_neighbours(chemlib_grid *grid, int axis)
{
    const int n = grid->dims[axis], span = 2 * grid->reach + 1;
    const int periodic = grid->cell.kind != CELL_NONE;
    grid->axis_neighbours[axis] = malloc((size_t)n * span * sizeof(int32_t));
    grid->axis_count[axis] = malloc((size_t)n);
    if (grid->axis_neighbours[axis] == NULL || grid->axis_count[axis] == NULL) return -1;
    for (int i = 0; i < n; i++) {
        int32_t *list = grid->axis_neighbours[axis] + (size_t)span * i;
        int count = 0;
        for (int offset = -grid->reach; offset <= grid->reach; offset++) {
            int j = i + offset;
            if (periodic) {
                j = ((j % n) + n) % n;
            } else if (j < 0 || j >= n) {
                continue;
            }
            int seen = 0;
            for (int t = 0; t < count; t++) seen |= list[t] == j;
            if (!seen) list[count++] = j;
        }
        grid->axis_count[axis][i] = (uint8_t)count;
    }
    return 0;
}

int chemlib_grid_init(chemlib_grid *grid, const chemlib_cell *cell, double cutoff,
                      const double *a, int64_t a_count, const double *b, int64_t b_count)
{
    memset(grid, 0, sizeof(*grid));
    grid->cell = *cell;
    grid->reach = REACH;
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
        const double cells = floor(extent[k] / cutoff * REACH);
        grid->dims[k] = cells < 1.0 ? 1 : (cells > MAX_CELLS_PER_AXIS ? MAX_CELLS_PER_AXIS : (int)cells);
    }
    int64_t cap = points * CELLS_PER_POINT;
    if (cap < MIN_CELL_CAP) cap = MIN_CELL_CAP;
    if (cap > INT32_MAX) cap = INT32_MAX;
    shrink_to_cap(grid->dims, cap);
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
    for (int k = 0; k < 3; k++) {
        if (fill_axis_neighbours(grid, k) != 0) {
            chemlib_grid_free(grid);
            return -1;
        }
    }
    return 0;
}

void chemlib_grid_free(chemlib_grid *grid)
{
    for (int k = 0; k < 3; k++) {
        free(grid->axis_neighbours[k]);
        free(grid->axis_count[k]);
        grid->axis_neighbours[k] = NULL;
        grid->axis_count[k] = NULL;
    }
}

int chemlib_bin_points(const chemlib_grid *grid, const double *coords, int64_t count,
                       chemlib_binned_points *binned)
{
    memset(binned, 0, sizeof(*binned));
    binned->count = count;
    const size_t n = (size_t)(count > 0 ? count : 1);
    binned->x = malloc(n * sizeof(double));
    binned->y = malloc(n * sizeof(double));
    binned->z = malloc(n * sizeof(double));
    binned->index = malloc(n * sizeof(int64_t));
    binned->cell_start = calloc((size_t)grid->ncells + 1, sizeof(int64_t));
    double *frame = malloc(3 * n * sizeof(double));
    int64_t *cells = malloc(n * sizeof(int64_t));
    int64_t *fill = malloc((size_t)grid->ncells * sizeof(int64_t));
    if (!binned->x || !binned->y || !binned->z || !binned->index || !binned->cell_start || !frame
        || !cells || !fill) {
        free(frame);
        free(cells);
        free(fill);
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
    for (int64_t c = 0; c < grid->ncells; c++) {
        const int64_t in_cell = binned->cell_start[c + 1];
        if (in_cell > binned->largest_cell) binned->largest_cell = in_cell;
        binned->cell_start[c + 1] += binned->cell_start[c];
    }
    memcpy(fill, binned->cell_start, (size_t)grid->ncells * sizeof(int64_t));
    for (int64_t p = 0; p < count; p++) {
        const int64_t slot = fill[cells[p]]++;
        binned->x[slot] = frame[3 * p];
        binned->y[slot] = frame[3 * p + 1];
        binned->z[slot] = frame[3 * p + 2];
        binned->index[slot] = p;
    }
    free(fill);
    free(frame);
    free(cells);
    return 0;
}

void chemlib_binned_points_free(chemlib_binned_points *binned)
{
    free(binned->x);
    free(binned->y);
    free(binned->z);
    free(binned->index);
    free(binned->cell_start);
    memset(binned, 0, sizeof(*binned));
}
