//! The typed GPU layer: 2-D grids past 65,535 workgroups, chunked bindings, readback, timestamps, and
//! errors instead of panics. GPU tests run on whatever adapter exists (lavapipe on CI).

mod common;

use cardiotwin::gpu::util::Iota;
use cardiotwin::gpu::{Access, Batch, GpuBuffer, GpuError, Grid, Kernel, shaders};

#[test]
fn grid_covers_invocations_within_limits() {
    let max = 65_535;
    for n in [
        1u64,
        255,
        256,
        257,
        65_535 * 256,
        65_536 * 256,
        17_000_000,
        4_000_000_000,
    ] {
        let g = Grid::cover(n, 256, max);
        assert!(g.x <= max && g.y <= max, "{n}: {g:?}");
        assert!(g.workgroups() * 256 >= n, "{n}: {g:?} too small");
        // No more than one partial row of waste.
        assert!(
            g.workgroups() - n.div_ceil(256) < g.x as u64,
            "{n}: {g:?} wasteful"
        );
    }
    assert_eq!(Grid::cover(0, 256, max), Grid { x: 1, y: 1 });
    assert_eq!(Grid::cover(17_000_000, 256, max).y, 2);
}

/// 17 M elements need 66,407 workgroups of 256: a 2-D grid. Filled in chunks of 4 Mi elements (16 MiB
/// bindings at offsets), every element must hold its own index exactly once.
#[test]
fn iota_reaches_every_element_through_2d_grids_and_chunks() {
    let Some(ctx) = common::gpu("iota_2d_chunked") else {
        return;
    };
    let n = 17_000_000usize;
    assert!(n.div_ceil(256) > ctx.limits.max_compute_workgroups_per_dimension as usize);
    let iota = Iota::new(&ctx).unwrap();
    for chunk in [n, 4 << 20] {
        let out = GpuBuffer::<u32>::zeroed(&ctx, "iota", n).unwrap();
        let mut batch = Batch::new(&ctx, "iota");
        iota.record(&mut batch, &out, chunk).unwrap();
        let timing = batch.submit().unwrap();
        let v = out.read(&ctx).unwrap();
        let bad = v.iter().enumerate().find(|&(i, &x)| x != i as u32);
        assert!(bad.is_none(), "chunk {chunk}: first wrong element {bad:?}");
        if ctx.timestamps {
            assert_eq!(timing.passes.len(), n.div_ceil(chunk));
            assert!(timing.gpu.unwrap().as_nanos() > 0, "timestamps read zero");
        }
    }
}

#[test]
fn chunk_size_respects_binding_limit_and_alignment() {
    let Some(ctx) = common::gpu("chunk_items") else {
        return;
    };
    let align = ctx.limits.min_storage_buffer_offset_alignment as usize;
    for item in [4u64, 16, 48, 64, 100] {
        let c = Kernel::chunk_items(&ctx, &[item, 4]);
        assert_eq!(c % align, 0, "item {item}: chunk {c} not aligned");
        assert!(
            c as u64 * item <= ctx.max_binding_bytes(),
            "item {item}: chunk {c} too large"
        );
        assert!(
            (c + align) as u64 * item > ctx.max_binding_bytes(),
            "item {item}: chunk {c} needlessly small"
        );
    }
}

#[test]
fn misuse_is_an_error_not_a_panic() {
    let Some(ctx) = common::gpu("misuse") else {
        return;
    };
    let missing = Kernel::new(&ctx, &shaders::UTIL, "no_such_entry", &[Access::ReadWrite]);
    assert!(matches!(missing, Err(GpuError::Shader { .. })));

    let iota = Iota::new(&ctx).unwrap();
    let out = GpuBuffer::<u32>::zeroed(&ctx, "out", 16).unwrap();
    let mut batch = Batch::new(&ctx, "wrong bindings");
    let err = batch
        .dispatch(iota.kernel(), &[out.whole(), out.whole()], 16, 0)
        .unwrap_err();
    assert!(err.to_string().contains("bindings"), "{err}");

    let huge =
        GpuBuffer::<u32>::zeroed(&ctx, "huge", (ctx.limits.max_buffer_size / 4 + 1) as usize);
    assert!(matches!(huge, Err(GpuError::BufferTooLarge { .. })));
}

#[test]
fn buffers_round_trip() {
    let Some(ctx) = common::gpu("round_trip") else {
        return;
    };
    let data: Vec<[f32; 4]> = (0..1000)
        .map(|i| [i as f32, -1.5, 1e-30, f32::MAX])
        .collect();
    let b = GpuBuffer::from_slice(&ctx, "data", &data).unwrap();
    assert_eq!(b.read(&ctx).unwrap(), data);
    let empty = GpuBuffer::<u32>::from_slice(&ctx, "empty", &[]).unwrap();
    assert!(empty.read(&ctx).unwrap().is_empty());
    let odd = GpuBuffer::<u8>::from_slice(&ctx, "odd", &[1, 2, 3]).unwrap();
    assert_eq!(odd.read(&ctx).unwrap(), vec![1, 2, 3]);
}

/// What a time loop does every step: kernels, then a few of their values gathered into one small buffer
/// by copies and read back with the submission's one wait.
#[test]
fn copies_gather_values_read_back_with_the_submission() {
    let Some(ctx) = common::gpu("copies_gather_values") else {
        return;
    };
    let iota = Iota::new(&ctx).unwrap();
    let a = GpuBuffer::<u32>::zeroed(&ctx, "a", 1000).unwrap();
    let floats = GpuBuffer::from_slice(&ctx, "floats", &[1.5f32, -2.25, 3.0e-7]).unwrap();
    let gathered = GpuBuffer::<u32>::zeroed(&ctx, "gathered", 6).unwrap();
    for timed in [false, true] {
        let mut batch = if timed {
            Batch::new(&ctx, "gather")
        } else {
            Batch::untimed(&ctx, "gather")
        };
        iota.record(&mut batch, &a, 1000).unwrap();
        // Values written by a kernel of the same batch, and f32 bits into a u32 buffer.
        batch.copy(&a, 997, &gathered, 0, 3).unwrap();
        batch.copy(&floats, 0, &gathered, 3, 3).unwrap();
        let (v, timing) = batch.submit_and_read(&gathered).unwrap();
        assert_eq!(&v[..3], &[997, 998, 999]);
        let f: Vec<f32> = v[3..].iter().map(|&w| f32::from_bits(w)).collect();
        assert_eq!(f, [1.5, -2.25, 3.0e-7]);
        assert_eq!(timing.passes.is_empty(), !(timed && ctx.timestamps));
    }
    // Out of range on either side is an error naming the buffers, recorded nothing.
    let mut batch = Batch::untimed(&ctx, "bad copies");
    let e = batch
        .copy(&a, 998, &gathered, 0, 3)
        .unwrap_err()
        .to_string();
    assert!(e.contains("\"a\"") && e.contains("\"gathered\""), "{e}");
    assert!(batch.copy(&a, 0, &gathered, 4, 3).is_err());
    assert!(batch.copy(&a, usize::MAX / 4, &gathered, 0, 1).is_err());
    batch.submit().unwrap();
}
