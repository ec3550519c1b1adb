! Distance matrices: every reference atom against every configuration atom
! (distance_array) and every pair of one set (self_distance_array), with the
! minimum-image convention when a cell is given. Rows run in parallel with
! OpenMP; results are written straight into the caller's array.
!
! Dummy arguments use literal kinds (real(8), integer(8)) because f2py reads
! kinds textually. Coordinates arrive as (3, n): the transpose of NumPy's
! C-ordered (n, 3), so f2py makes no copy; `result` arrives transposed too.
! simd_level (optional, 0: the best the CPU has) picks the instructions of
! the no-box and the triclinic loops, for the tests that compare them
! (point_distances.c, triclinic_distances.c).
!
! Safe without the GIL (free-threaded Python): no saved or module state; the
! cell and the frame buffers are locals of each call (-frecursive: on the stack
! or allocated per call).

subroutine distance_array(reference, configuration, h, hinv, n, m, result, simd_level)
    use chemlib_minimum_image, only: dp, periodic_cell, make_cell, to_kernel_frame, point_distances, &
        MIN_PARALLEL_WORK
    implicit none
    integer(8), intent(in) :: n, m
    real(8), intent(in) :: reference(3, n), configuration(3, m), h(3, 3), hinv(3, 3)
    real(8), intent(inout) :: result(m, n)
    integer, intent(in) :: simd_level
    !f2py threadsafe
    !f2py integer, optional, intent(in) :: simd_level = 0
    !f2py integer(8), intent(hide), depend(reference) :: n = shape(reference, 1)
    !f2py integer(8), intent(hide), depend(configuration) :: m = shape(configuration, 1)
    type(periodic_cell) :: cell
    real(dp), allocatable :: ref_frame(:, :), conf_frame(:, :)
    integer(8) :: i

    cell = make_cell(h, hinv)
    allocate (ref_frame(n, 3), conf_frame(m, 3))
    call to_kernel_frame(cell, reference, ref_frame)
    call to_kernel_frame(cell, configuration, conf_frame)
    !$omp parallel do schedule(static) if(n * m >= MIN_PARALLEL_WORK)
    do i = 1, n
        call point_distances(cell, ref_frame(i, :), conf_frame(:, 1), conf_frame(:, 2), conf_frame(:, 3), &
                             result(:, i), simd_level)
    end do
    !$omp end parallel do
end subroutine distance_array

! Condensed distance matrix in scipy.spatial.distance.pdist order: the pair
! (i, j), i < j (1-based), is at (i-1)*n - i*(i-1)/2 + (j-i).
subroutine self_distance_array(reference, h, hinv, n, npairs, result, simd_level)
    use chemlib_minimum_image, only: dp, periodic_cell, make_cell, to_kernel_frame, point_distances, &
        MIN_PARALLEL_WORK
    implicit none
    integer(8), intent(in) :: n, npairs
    real(8), intent(in) :: reference(3, n), h(3, 3), hinv(3, 3)
    real(8), intent(inout) :: result(npairs)
    integer, intent(in) :: simd_level
    !f2py threadsafe
    !f2py integer, optional, intent(in) :: simd_level = 0
    !f2py integer(8), intent(hide), depend(reference) :: n = shape(reference, 1)
    !f2py integer(8), intent(hide), depend(result) :: npairs = len(result)
    !f2py check(npairs == n * (n - 1) / 2) :: npairs
    type(periodic_cell) :: cell
    real(dp), allocatable :: frame(:, :)
    integer(8) :: i, row_start

    cell = make_cell(h, hinv)
    allocate (frame(n, 3))
    call to_kernel_frame(cell, reference, frame)
    ! Rows shrink from n-1 pairs to 1: dynamic chunks keep both cores busy
    ! (a static schedule on this triangle leaves one core idle half the time).
    !$omp parallel do schedule(dynamic, 16) private(row_start) if(npairs >= MIN_PARALLEL_WORK)
    do i = 1, n - 1
        row_start = (i - 1) * n - (i * (i - 1)) / 2
        call point_distances(cell, frame(i, :), frame(i + 1:n, 1), frame(i + 1:n, 2), frame(i + 1:n, 3), &
                             result(row_start + 1:row_start + n - i), simd_level)
    end do
    !$omp end parallel do
end subroutine self_distance_array

! The widest loops this CPU runs when simd_level is 0 (simd_dispatch.c):
! 4 (AVX-512, for the distance loops; rmsd_trajectory's frame pass stops at
! AVX2), 3 (AVX2 and FMA) or 1 (the x86-64 baseline).
subroutine dispatched_simd_level(level)
    use chemlib_minimum_image, only: best_simd_level
    implicit none
    integer, intent(out) :: level
    !f2py threadsafe
    level = best_simd_level()
end subroutine dispatched_simd_level
