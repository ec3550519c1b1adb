! Distances from one point to a block of points: the inner loop shared by
! distance_array and self_distance_array. Points are stored as columns x, y, z
! of an (m, 3) array so the loop over them vectorises; a call handles a whole
! row, so calling across files costs nothing measurable.
module chemlib_distance_rows
    use chemlib_kernel_math, only: dp, periodic_cell, CELL_NONE, CELL_ORTHORHOMBIC, &
        CELL_TRICLINIC, ROUNDING_SHIFT, wrap_fractional
    implicit none
    private
    public :: to_kernel_frame, point_distances

contains

    ! Coordinates (3, n) -> columns (n, 3) in the frame point_distances expects:
    ! Cartesian without a cell, Cartesian wrapped into [0, L) for an
    ! orthorhombic cell, fractional wrapped into [0, 1) for a triclinic one.
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
                columns(i, :) = wrap_fractional(matmul(cell%hinv, coords(:, i)))
            end do
        end select
    end subroutine to_kernel_frame

    ! distances(j) = |others(j, :) - point| under the cell's minimum image;
    ! point and others are in the frame made by to_kernel_frame.
    subroutine point_distances(cell, point, others, distances)
        type(periodic_cell), intent(in) :: cell
        real(dp), intent(in) :: point(3), others(:, :)
        real(dp), intent(out) :: distances(:)
        real(dp) :: dx, dy, dz, sa, sb, sc, vx, vy, vz
        real(dp), allocatable :: rounded(:, :)
        integer(8) :: j
        integer :: k

        select case (cell%kind)
        case (CELL_NONE)
            do j = 1, size(distances, kind=8)
                distances(j) = sqrt((others(j, 1) - point(1))**2 &
                    + (others(j, 2) - point(2))**2 + (others(j, 3) - point(3))**2)
            end do
        case (CELL_ORTHORHOMBIC)
            do j = 1, size(distances, kind=8)
                dx = others(j, 1) - point(1)
                dy = others(j, 2) - point(2)
                dz = others(j, 3) - point(3)
                dx = dx - cell%lengths(1) * ((dx * cell%inv_lengths(1) + ROUNDING_SHIFT) - ROUNDING_SHIFT)
                dy = dy - cell%lengths(2) * ((dy * cell%inv_lengths(2) + ROUNDING_SHIFT) - ROUNDING_SHIFT)
                dz = dz - cell%lengths(3) * ((dz * cell%inv_lengths(3) + ROUNDING_SHIFT) - ROUNDING_SHIFT)
                distances(j) = sqrt(dx * dx + dy * dy + dz * dz)
            end do
        case (CELL_TRICLINIC)
            ! Round the fractional difference into the cell, then try the few
            ! lattice shifts that can shorten it (kernel_math's
            ! find_useful_shifts), each squared length computed directly so
            ! nearly coincident images keep their digits. Both passes vectorise.
            allocate (rounded(size(distances, kind=8), 3))
            do j = 1, size(distances, kind=8)
                sa = others(j, 1) - point(1)
                sb = others(j, 2) - point(2)
                sc = others(j, 3) - point(3)
                sa = sa - ((sa + ROUNDING_SHIFT) - ROUNDING_SHIFT)
                sb = sb - ((sb + ROUNDING_SHIFT) - ROUNDING_SHIFT)
                sc = sc - ((sc + ROUNDING_SHIFT) - ROUNDING_SHIFT)
                dx = cell%h(1, 1) * sa + cell%h(1, 2) * sb + cell%h(1, 3) * sc
                dy = cell%h(2, 1) * sa + cell%h(2, 2) * sb + cell%h(2, 3) * sc
                dz = cell%h(3, 1) * sa + cell%h(3, 2) * sb + cell%h(3, 3) * sc
                rounded(j, 1) = dx
                rounded(j, 2) = dy
                rounded(j, 3) = dz
                distances(j) = dx * dx + dy * dy + dz * dz
            end do
            do k = 1, cell%n_shifts
                vx = cell%shifts(1, k)
                vy = cell%shifts(2, k)
                vz = cell%shifts(3, k)
                do j = 1, size(distances, kind=8)
                    distances(j) = min(distances(j), (rounded(j, 1) + vx)**2 &
                        + (rounded(j, 2) + vy)**2 + (rounded(j, 3) + vz)**2)
                end do
            end do
            distances = sqrt(distances)
        end select
    end subroutine point_distances

end module chemlib_distance_rows
