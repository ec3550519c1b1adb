! Root-mean-square deviation of coordinate sets: plain, centred, or after the
! optimal rotation (QCP with a LAPACK fallback, see superposition.f90), for
! one frame or a whole trajectory (frames in parallel with OpenMP), and the
! rotation matrix itself.
!
! Dummy arguments use literal kinds because f2py reads kinds textually.
! Structures arrive as (3, n), trajectories as (3, n, nframes): the transposes
! of NumPy's C-ordered (n, 3) and (nframes, n, 3), so f2py copies nothing.
!
! Safe without the GIL (free-threaded Python): no saved or module state; the
! reference structure and the per-thread columns are allocated by each call
! (see superposition.f90; its LAPACK fallback is reentrant as in
! mass_properties.f90).

! values(f) = weighted RMSD between reference and frames(:, :, f). center
! subtracts each structure's weighted centroid; superposition (which implies
! centring) also minimises over rotations. precentered: the caller centred
! reference and frames, so nothing is centred and superposition rotates about
! the origin (mdtraj's precentered). info is nonzero if LAPACK failed;
! non_finite counts the frames holding a NaN or infinity. Each frame is read
! where it lies, in one pass (superposition.f90); the threads share one
! parallel region for all the frames. simd_level (optional, 0: the best the
! CPU has) picks the instructions of that pass, for the test that compares
! them (frame_sums.c).
subroutine rmsd_trajectory(reference, frames, weights, center, superposition, precentered, &
                           n, nframes, values, info, non_finite, simd_level)
    use chemlib_minimum_image, only: MIN_PARALLEL_WORK
    use chemlib_superposition, only: reference_structure, prepared_reference, frame_msd, record_frame
    implicit none
    integer(8), intent(in) :: n, nframes
    real(8), intent(in) :: reference(3, n), frames(3, n, nframes), weights(n)
    logical, intent(in) :: center, superposition, precentered
    real(8), intent(out) :: values(nframes)
    integer, intent(out) :: info
    integer(8), intent(out) :: non_finite
    integer, intent(in) :: simd_level
    !f2py threadsafe
    !f2py integer(8), intent(hide), depend(reference) :: n = shape(reference, 1)
    !f2py integer(8), intent(hide), depend(frames) :: nframes = shape(frames, 2)
    !f2py integer, optional, intent(in) :: simd_level = 0
    type(reference_structure) :: ref
    real(8) :: msd
    integer :: frame_info
    integer(8) :: f

    ref = prepared_reference(n, reference, weights, center, superposition, precentered)
    ref%simd_level = simd_level
    info = 0
    non_finite = 0
    !$omp parallel do schedule(static) private(msd, frame_info) reduction(max:info) &
    !$omp reduction(+:non_finite) if(n * nframes >= MIN_PARALLEL_WORK)
    do f = 1, nframes
        call frame_msd(ref, n, frames(:, :, f), weights, msd, frame_info)
        call record_frame(msd, frame_info, values(f), info, non_finite)
    end do
    !$omp end parallel do
end subroutine rmsd_trajectory

! rmsd_trajectory for float32 frames, read as they are (half the memory
! traffic of float64, and no float64 copy of the trajectory). Superposition's
! pass widens them four values per instruction on CPUs with AVX2; otherwise
! a frame is widened into a thread's buffer, which stays in cache for the pass
! over it (frame_msd_single). The arithmetic is float64 throughout, exactly
! as for the same values given as float64.
subroutine rmsd_trajectory_single(reference, frames, weights, center, superposition, &
                                  precentered, n, nframes, values, info, non_finite, simd_level)
    use chemlib_minimum_image, only: MIN_PARALLEL_WORK
    use chemlib_superposition, only: reference_structure, prepared_reference, frame_msd_single, &
        record_frame
    implicit none
    integer(8), intent(in) :: n, nframes
    real(8), intent(in) :: reference(3, n), weights(n)
    real(4), intent(in) :: frames(3, n, nframes)
    logical, intent(in) :: center, superposition, precentered
    real(8), intent(out) :: values(nframes)
    integer, intent(out) :: info
    integer(8), intent(out) :: non_finite
    integer, intent(in) :: simd_level
    !f2py threadsafe
    !f2py integer(8), intent(hide), depend(reference) :: n = shape(reference, 1)
    !f2py integer(8), intent(hide), depend(frames) :: nframes = shape(frames, 2)
    !f2py integer, optional, intent(in) :: simd_level = 0
    type(reference_structure) :: ref
    real(8), allocatable :: widened(:, :)
    real(8) :: msd
    integer :: frame_info
    integer(8) :: f

    ref = prepared_reference(n, reference, weights, center, superposition, precentered)
    ref%simd_level = simd_level
    info = 0
    non_finite = 0
    !$omp parallel private(widened, msd, frame_info) reduction(max:info) reduction(+:non_finite) &
    !$omp if(n * nframes >= MIN_PARALLEL_WORK)
    allocate (widened(3, n))
    !$omp do schedule(static)
    do f = 1, nframes
        call frame_msd_single(ref, n, frames(:, :, f), widened, weights, msd, frame_info)
        call record_frame(msd, frame_info, values(f), info, non_finite)
    end do
    !$omp end do
    !$omp end parallel
end subroutine rmsd_trajectory_single

! The rotation that best maps the centred b onto the centred a (a' ~ R b'),
! and the RMSD it leaves. info is LAPACK dsyev's.
subroutine rotation_matrix(a, b, weights, n, rotation, value, info)
    use chemlib_minimum_image, only: dp
    use chemlib_superposition, only: weighted_centroid, refined_msd
    implicit none
    integer(8), intent(in) :: n
    real(8), intent(in) :: a(3, n), b(3, n), weights(n)
    real(8), intent(out) :: rotation(3, 3), value
    integer, intent(out) :: info
    !f2py threadsafe
    !f2py integer(8), intent(hide), depend(a) :: n = shape(a, 1)
    real(dp) :: wsum, msd

    wsum = sum(weights)
    call refined_msd(n, transpose(a), weighted_centroid(n, a, weights, wsum), transpose(b), &
                     weighted_centroid(n, b, weights, wsum), weights, wsum, msd, rotation, info)
    value = sqrt(max(msd, 0.0_dp))
end subroutine rotation_matrix
