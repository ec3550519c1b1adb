! Periodic cells and the minimum-image convention, shared by the Fortran
! kernels (compiled once into a static library, never wrapped by f2py): whole
! blocks of triclinic minimum-image displacements (calc_bonds/angles/
! dihedrals) and of distances from one point (distance arrays). gfortran does
! not inline across files, so the per-element steps live here beside the
! loops that use them, and callers elsewhere call once per row or block.
!
! A cell is given to every kernel as two 3x3 matrices prepared in Python
! (chemlib/_box.py): h, whose columns are the box vectors a, b, c (MDAnalysis'
! triclinic_vectors, transposed), and hinv, its inverse, whose rows are the
! reciprocal vectors. The kind of cell is derived here from h, so Python, C and
! Fortran share no table of constants:
!   h == 0                  -> no periodicity
!   h diagonal              -> orthorhombic
!   anything else           -> triclinic
module chemlib_minimum_image
    implicit none
    private

    integer, parameter, public :: dp = kind(1.0d0)
    integer, parameter :: CELL_NONE = 0, CELL_ORTHORHOMBIC = 1, CELL_TRICLINIC = 2
    ! Below this many elementary operations (pairs, atoms x frames) a parallel
    ! region costs more than it saves: kernels then run on the calling thread.
    integer(8), parameter, public :: MIN_PARALLEL_WORK = 20000
    ! Useful shifts a triclinic cell may have for the fixed-length distance
    ! loop: 8 for a rhombic dodecahedron, 12 for a truncated octahedron or a
    ! monoclinic cell, 14 for the 60-60-60 rhombohedron. = SHIFT_SLOTS of
    ! triclinic_distances.c, which runs the loop over them.
    integer, parameter :: SHIFT_SLOTS = 14

    ! (x + 1.5*2**52) - 1.5*2**52 rounds x to the nearest integer (ties to even)
    ! with two additions, for |x| < 2**51 (beyond 2**51 cell lengths float64
    ! holds no meaningful image anyway; the result stays finite). With the
    ! generic x86-64 baseline anint() is a library call that makes periodic
    ! kernels 5-10x slower and keeps loops from vectorising, so hot loops
    ! write this expression inline.
    real(dp), parameter, public :: ROUNDING_SHIFT = 6755399441055744.0_dp

    ! Safe without the GIL: this module holds no variables, only parameters
    ! (constants). The initial values below are default initialisation of
    ! each periodic_cell object, not saved storage: every kernel call builds
    ! its own cell (make_cell) as a local, so concurrent calls share nothing.
    type, public :: periodic_cell
        integer :: kind = CELL_NONE
        real(dp) :: h(3, 3) = 0        ! columns: box vectors a, b, c (Angstrom)
        real(dp) :: hinv(3, 3) = 0     ! rows: reciprocal vectors (1/Angstrom)
        real(dp) :: lengths(3) = 0     ! diagonal of h (orthorhombic box lengths)
        real(dp) :: inv_lengths(3) = 0
        ! Lattice vectors that can shorten a displacement once it is in the
        ! brick (see find_useful_shifts): the only images worth trying.
        ! Allocated for triclinic cells only, the only ones that use it.
        real(dp), allocatable :: shifts(:, :)
        ! The useful shifts padded to SHIFT_SLOTS by repeating the first (a
        ! repeat never changes a minimum), for loops of fixed length.
        real(dp) :: slots(3, SHIFT_SLOTS) = 0
    end type periodic_cell

    public :: make_cell, is_triclinic, triclinic_displacements, to_kernel_frame, point_distances, &
        best_simd_level

    interface
        subroutine chemlib_point_distances(point, x, y, z, m, distances, simd_level) bind(C)
            use, intrinsic :: iso_c_binding, only: c_double, c_int64_t, c_int
            real(c_double), intent(in) :: point(3), x(*), y(*), z(*)
            integer(c_int64_t), value :: m
            real(c_double), intent(out) :: distances(*)
            integer(c_int), value :: simd_level
        end subroutine chemlib_point_distances

        ! The triclinic loop of point_distances, dispatched the same way.
        subroutine chemlib_triclinic_point_distances(point, x, y, z, m, h, hinv, slots, distances, &
                                                     simd_level) bind(C)
            use, intrinsic :: iso_c_binding, only: c_double, c_int64_t, c_int
            import :: SHIFT_SLOTS
            real(c_double), intent(in) :: point(3), x(*), y(*), z(*), h(3, 3), hinv(3, 3)
            real(c_double), intent(in) :: slots(3, SHIFT_SLOTS)
            integer(c_int64_t), value :: m
            real(c_double), intent(out) :: distances(*)
            integer(c_int), value :: simd_level
        end subroutine chemlib_triclinic_point_distances

        ! What simd_level 0 picks on this CPU (simd_dispatch.c).
        function best_simd_level() result(level) bind(C, name="chemlib_best_simd_level")
            use, intrinsic :: iso_c_binding, only: c_int
            integer(c_int) :: level
        end function best_simd_level
    end interface

contains

    pure function make_cell(h, hinv) result(cell)
        real(dp), intent(in) :: h(3, 3), hinv(3, 3)
        type(periodic_cell) :: cell
        integer :: i

        cell%h = h
        cell%hinv = hinv
        if (all(h == 0)) then
            cell%kind = CELL_NONE
            return
        end if
        if (h(2, 1) == 0 .and. h(3, 1) == 0 .and. h(1, 2) == 0 .and. h(3, 2) == 0 &
            .and. h(1, 3) == 0 .and. h(2, 3) == 0) then
            cell%kind = CELL_ORTHORHOMBIC
        else
            cell%kind = CELL_TRICLINIC
        end if
        do i = 1, 3
            cell%lengths(i) = h(i, i)
            cell%inv_lengths(i) = hinv(i, i)
        end do
        if (cell%kind == CELL_TRICLINIC) call find_useful_shifts(cell)
    end function make_cell

    ! to_brick first shifts a displacement d by whole box vectors c, then b,
    ! then a (h is lower-triangular in rows, as MDAnalysis builds it), which
    ! leaves d in the brick |d_x| <= a_x/2, |d_y| <= b_y/2, |d_z| <= c_z/2.
    ! The image d + v, v = h t, is shorter iff d . v < -|v|^2/2; over the brick
    ! d . v reaches -sum(W |v|) with W the brick's half-widths, so v can only
    ! help when sum(W |v|) > |v|^2/2, which also bounds |v| < 2|W| (Cauchy-
    ! Schwarz) and so each |t_k| < 2|W| |hinv(k, :)|. Every lattice vector in
    ! that range is tested, so the minimum is exact however skewed the cell:
    ! 8 shifts for a rhombic dodecahedron, 12 for a truncated octahedron, and
    ! more than the 26 nearest neighbours for flat, strongly sheared cells.
    pure subroutine find_useful_shifts(cell)
        type(periodic_cell), intent(inout) :: cell
        real(dp) :: half_widths(3), v(3)
        real(dp), allocatable :: found(:, :)
        integer :: reach(3), i, j, k, found_count

        half_widths = [cell%h(1, 1), cell%h(2, 2), cell%h(3, 3)] / 2
        do k = 1, 3
            reach(k) = ceiling(2 * norm2(half_widths) * norm2(cell%hinv(k, :)))
        end do
        allocate (found(3, product(2 * reach + 1)))
        found_count = 0
        do k = -reach(3), reach(3)
            do j = -reach(2), reach(2)
                do i = -reach(1), reach(1)
                    if (i == 0 .and. j == 0 .and. k == 0) cycle
                    v = i * cell%h(:, 1) + j * cell%h(:, 2) + k * cell%h(:, 3)
                    ! Ties (the orthorhombic faces) cannot shorten anything, and
                    ! within 1e-12 of a tie only by rounding error.
                    if (sum(half_widths * abs(v)) > (1 + 1.0e-12_dp) * dot_product(v, v) / 2) then
                        found_count = found_count + 1
                        found(:, found_count) = v
                    end if
                end do
            end do
        end do
        cell%shifts = found(:, :found_count)
        if (found_count == 0) return  ! slots stay zero shifts: no-ops
        do k = 1, SHIFT_SLOTS
            cell%slots(:, k) = cell%shifts(:, merge(k, 1, k <= found_count))
        end do
    end subroutine find_useful_shifts

    ! Largest integer <= x, as a real: the rounding trick, stepped down when
    ! it rounded up. (The intrinsic floor returns a default integer, which
    ! overflows beyond 2**31 cell lengths, and is a library call at the
    ! x86-64 baseline.)
    elemental function floor_real(x) result(r)
        real(dp), intent(in) :: x
        real(dp) :: r
        r = (x + ROUNDING_SHIFT) - ROUNDING_SHIFT
        r = merge(r - 1, r, r > x)
    end function floor_real

    ! Fractional coordinate s folded into [0, 1).
    elemental function wrap_fractional(s) result(w)
        real(dp), intent(in) :: s
        real(dp) :: w
        w = s - floor_real(s)
        ! s slightly below an integer can round up to exactly 1 after the subtraction.
        w = merge(0.0_dp, w, w >= 1)
    end function wrap_fractional

    ! Only triclinic cells need the searches below: orthorhombic and absent
    ! cells take one rounding per component, which callers write inline.
    pure logical function is_triclinic(cell)
        type(periodic_cell), intent(in) :: cell
        is_triclinic = cell%kind == CELL_TRICLINIC
    end function is_triclinic

    ! Triclinic minimum-image displacements of a block of atom pairs: d(:, i)
    ! is the shortest image of to(:, i) - from(:, i). Blocks (a few hundred
    ! pairs) keep the work columns in L1 and let every loop here vectorise;
    ! one call per block makes the call across files free.
    pure subroutine triclinic_displacements(cell, from, to, d)
        type(periodic_cell), intent(in) :: cell
        real(dp), intent(out), contiguous :: d(:, :)
        real(dp), intent(in) :: from(3, size(d, 2)), to(3, size(d, 2))
        real(dp) :: columns(size(d, 2), 3)
        integer :: i

        do i = 1, size(d, 2)  ! must vectorise
            columns(i, 1) = to(1, i) - from(1, i)
            columns(i, 2) = to(2, i) - from(2, i)
            columns(i, 3) = to(3, i) - from(3, i)
        end do
        call minimum_image_block(cell, columns)
        d = transpose(columns)
    end subroutine triclinic_displacements

    ! Whole box vectors c, then b, then a off d by rounding: d lands in the
    ! brick |d_x| <= a_x/2, |d_y| <= b_y/2, |d_z| <= c_z/2 (h lower-triangular
    ! in rows, as MDAnalysis builds it). See find_useful_shifts for why.
    elemental subroutine to_brick(cell, x, y, z)
        type(periodic_cell), intent(in) :: cell
        real(dp), intent(inout) :: x, y, z
        real(dp) :: r
        r = (z * cell%hinv(3, 3) + ROUNDING_SHIFT) - ROUNDING_SHIFT
        x = x - r * cell%h(1, 3)
        y = y - r * cell%h(2, 3)
        z = z - r * cell%h(3, 3)
        r = (y * cell%hinv(2, 2) + ROUNDING_SHIFT) - ROUNDING_SHIFT
        x = x - r * cell%h(1, 2)
        y = y - r * cell%h(2, 2)
        r = (x * cell%hinv(1, 1) + ROUNDING_SHIFT) - ROUNDING_SHIFT
        x = x - r * cell%h(1, 1)
    end subroutine to_brick

    ! Triclinic minimum image of a block of displacements d(i, :), in place:
    ! into the brick (to_brick), then each useful shift tried, its length computed
    ! directly so that nearly coincident images keep their digits. Rounding
    ! the fractional coordinates instead would pick the wrong image for ~29%
    ! of pairs in a rhombic dodecahedron and leave all 26 shifts useful.
    ! Branch-free loops over the block: they vectorise.
    pure subroutine minimum_image_block(cell, d)
        type(periodic_cell), intent(in) :: cell
        real(dp), intent(inout) :: d(:, :)
        ! Contiguous work columns: the brick image, and the best image so far
        ! with its squared length.
        real(dp), allocatable :: brick(:, :), best(:, :), best_sq(:)
        real(dp) :: x, y, z, tx, ty, tz, trial_sq, bx, by, bz, bsq
        integer :: i, k, n

        n = size(d, 1)
        allocate (brick(n, 3), best(n, 3), best_sq(n))
        do i = 1, n  ! must vectorise
            x = d(i, 1)
            y = d(i, 2)
            z = d(i, 3)
            call to_brick(cell, x, y, z)
            brick(i, 1) = x
            brick(i, 2) = y
            brick(i, 3) = z
            best_sq(i) = x * x + y * y + z * z
        end do
        best = brick
        do k = 1, size(cell%shifts, 2)
            do i = 1, n  ! must vectorise
                tx = brick(i, 1) + cell%shifts(1, k)
                ty = brick(i, 2) + cell%shifts(2, k)
                tz = brick(i, 3) + cell%shifts(3, k)
                trial_sq = tx * tx + ty * ty + tz * tz
                ! Scalar ifs on values already loaded, then plain stores: GCC 12
                ! if-converts these into vector selects, but not merge() calls
                ! (the loop stayed scalar).
                bx = best(i, 1)
                by = best(i, 2)
                bz = best(i, 3)
                bsq = best_sq(i)
                if (trial_sq < bsq) bx = tx
                if (trial_sq < bsq) by = ty
                if (trial_sq < bsq) bz = tz
                best(i, 1) = bx
                best(i, 2) = by
                best(i, 3) = bz
                best_sq(i) = min(trial_sq, bsq)
            end do
        end do
        d = best
    end subroutine minimum_image_block


    ! Coordinates (3, n) -> columns (n, 3) in the frame point_distances expects:
    ! Cartesian, wrapped into the primary cell when there is one.
    ! Wrapping first keeps every difference inside (-1, 1) cell lengths, where
    ! the inline rounding is exact, and keeps far-away images precise.
    pure subroutine to_kernel_frame(cell, coords, columns)
        type(periodic_cell), intent(in) :: cell
        real(dp), intent(in) :: coords(:, :)
        real(dp), intent(out) :: columns(:, :)
        integer :: k
        integer(8) :: i

        select case (cell%kind)
        case (CELL_NONE)
            do k = 1, 3
                columns(:, k) = coords(k, :)
            end do
        case (CELL_ORTHORHOMBIC)
            do k = 1, 3
                columns(:, k) = cell%lengths(k) &
                    * wrap_fractional(coords(k, :) * cell%inv_lengths(k))
            end do
        case (CELL_TRICLINIC)
            do i = 1, size(coords, 2, kind=8)
                columns(i, :) = matmul(cell%h, wrap_fractional(matmul(cell%hinv, coords(:, i))))
            end do
        end select
    end subroutine to_kernel_frame

    ! distances(j) = |(x(j), y(j), z(j)) - point| under the cell's minimum
    ! image; point and the columns x, y, z are in the frame made by
    ! to_kernel_frame. Contiguous columns: unit-stride loads and stores.
    ! simd_level picks the instructions of the no-box and the triclinic loop
    ! (point_distances.c, triclinic_distances.c): 0 the best the CPU has, 1
    ! the x86-64 baseline, 3 AVX2, 4 AVX-512.
    subroutine point_distances(cell, point, x, y, z, distances, simd_level)
        type(periodic_cell), intent(in) :: cell
        integer, intent(in) :: simd_level
        real(dp), intent(in) :: point(3)
        real(dp), intent(in), contiguous :: x(:), y(:), z(:)
        real(dp), intent(out), contiguous :: distances(:)
        real(dp) :: dx, dy, dz
        real(dp), allocatable :: d(:, :)
        integer(8) :: j

        if (cell%kind == CELL_NONE) then
            ! Not the orthorhombic loop with zero lengths: its no-op fold
            ! would still cost six operations per component without FMA. C,
            ! for the run-time choice of vector width (point_distances.c).
            call chemlib_point_distances(point, x, y, z, size(distances, kind=8), distances, simd_level)
        else if (cell%kind == CELL_ORTHORHOMBIC) then
            do j = 1, size(distances, kind=8)  ! must vectorise
                dx = x(j) - point(1)
                dy = y(j) - point(2)
                dz = z(j) - point(3)
                dx = dx - cell%lengths(1) * ((dx * cell%inv_lengths(1) + ROUNDING_SHIFT) - ROUNDING_SHIFT)
                dy = dy - cell%lengths(2) * ((dy * cell%inv_lengths(2) + ROUNDING_SHIFT) - ROUNDING_SHIFT)
                dz = dz - cell%lengths(3) * ((dz * cell%inv_lengths(3) + ROUNDING_SHIFT) - ROUNDING_SHIFT)
                distances(j) = sqrt(dx * dx + dy * dy + dz * dz)
            end do
        else if (size(cell%shifts, 2) <= SHIFT_SLOTS) then
            ! Everything per pair in registers: the brick, then a fixed number
            ! of candidate shifts (the useful ones, padded with repeats). C,
            ! for the run-time choice of vector width (triclinic_distances.c).
            call chemlib_triclinic_point_distances(point, x, y, z, size(distances, kind=8), cell%h, &
                                                   cell%hinv, cell%slots, distances, simd_level)
        else
            ! A cell flat enough to need more shifts: the general block.
            allocate (d(size(distances, kind=8), 3))
            d(:, 1) = x - point(1)
            d(:, 2) = y - point(2)
            d(:, 3) = z - point(3)
            call minimum_image_block(cell, d)
            distances = sqrt(d(:, 1)**2 + d(:, 2)**2 + d(:, 3)**2)
        end if
    end subroutine point_distances

end module chemlib_minimum_image
