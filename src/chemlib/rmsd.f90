! Root-mean-square deviation of coordinate sets: plain, centred, or after the
! optimal rotation (QCP with a LAPACK fallback, see superposition.f90), for
! one frame or a whole trajectory (frames in parallel with OpenMP), and the
! rotation matrix itself.
!
! Dummy arguments use literal kinds because f2py reads kinds textually.
! Structures arrive as (3, n), trajectories as (3, n, nframes): the transposes
! of NumPy's C-ordered (n, 3) and (nframes, n, 3), so f2py copies nothing.

! values(f) = weighted RMSD between reference and frames(:, :, f). center
! subtracts each structure's weighted centroid; superposition (which implies
! centring) also minimises over rotations. info is nonzero if LAPACK failed;
! non_finite counts the frames holding a NaN or infinity.
subroutine rmsd_trajectory(reference, frames, weights, center, superposition, n, nframes, &
                           values, info, non_finite)
    use chemlib_minimum_image, only: dp, MIN_PARALLEL_WORK
    use chemlib_superposition, only: weighted_centroid, superposed_msd
    use chemlib_input_screen, only: all_finite
    implicit none
    integer(8), intent(in) :: n, nframes
    real(8), intent(in) :: reference(3, n), frames(3, n, nframes), weights(n)
    logical, intent(in) :: center, superposition
    real(8), intent(out) :: values(nframes)
    integer, intent(out) :: info
    integer(8), intent(out) :: non_finite
    !f2py threadsafe
    !f2py integer(8), intent(hide), depend(reference) :: n = shape(reference, 1)
    !f2py integer(8), intent(hide), depend(frames) :: nframes = shape(frames, 2)
    real(dp), allocatable :: ref_centred(:, :)
    real(dp) :: wsum, ref_centroid(3), centroid(3), msd, ga, sum_wa(3)
    integer(8) :: f, k
    integer :: frame_info

    info = 0
    wsum = sum(weights)
    ref_centroid = 0
    if (center .or. superposition) ref_centroid = weighted_centroid(reference, weights, wsum)
    ! The reference is centred once; its sums serve every frame.
    allocate (ref_centred(3, n))
    ga = 0
    sum_wa = 0
    do k = 1, n
        ref_centred(:, k) = reference(:, k) - ref_centroid
        ga = ga + weights(k) * sum(ref_centred(:, k)**2)
        sum_wa = sum_wa + weights(k) * ref_centred(:, k)
    end do
    non_finite = 0
    !$omp parallel do schedule(static) private(centroid, msd, frame_info, k) reduction(max:info) &
    !$omp reduction(+:non_finite) if(n * nframes >= MIN_PARALLEL_WORK)
    do f = 1, nframes
        ! Screened here, just before its one pass: the frame is then read
        ! from cache (input_screen.f90).
        if (.not. all_finite(3 * n, frames(:, :, f))) non_finite = non_finite + 1
        if (superposition) then
            call superposed_msd(n, ref_centred, ref_centroid, ga, sum_wa, frames(:, :, f), weights, &
                                wsum, msd, frame_info)
            info = max(info, abs(frame_info))
        else
            ! Summed directly (two passes when centring): the expanded form
            ! would cancel for nearly identical structures.
            centroid = 0
            if (center) centroid = weighted_centroid(frames(:, :, f), weights, wsum)
            msd = 0
            do k = 1, n
                msd = msd + weights(k) * sum((ref_centred(:, k) - (frames(:, k, f) - centroid))**2)
            end do
            msd = msd / wsum
        end if
        values(f) = sqrt(max(msd, 0.0_dp))
    end do
    !$omp end parallel do
end subroutine rmsd_trajectory

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
    call refined_msd(n, a, weighted_centroid(a, weights, wsum), b, weighted_centroid(b, weights, wsum), &
                     weights, wsum, msd, rotation, info)
    value = sqrt(max(msd, 0.0_dp))
end subroutine rotation_matrix
