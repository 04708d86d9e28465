//! Tensor bytes in safetensors' dtypes (little-endian, row-major) to and from `T`.
//!
//! Reading accepts every float and integer dtype PyTorch writes in a state dict: F64, F32,
//! F16, BF16 (converted through the `half` crate, already in the build through `gemm`, so
//! the IEEE rounding and subnormal cases are someone's tested code rather than ours),
//! I64…I8, U64…U8 and BOOL. Writing uses the module's float type, and I64 for
//! `num_batches_tracked`, as PyTorch does.

use half::{bf16, f16};
use safetensors::tensor::Dtype;
use tensor::{Float, Tensor};

/// The safetensors dtype of `T`.
pub(super) fn float_dtype<T: Float>() -> Dtype {
    if T::NAME == "f64" {
        Dtype::F64
    } else {
        Dtype::F32
    }
}

/// `t`'s values as bytes of `dtype` (`F32`, `F64` or `I64`, rounding to the nearest
/// integer).
pub(super) fn to_bytes<T: Float>(t: &Tensor<T>, dtype: Dtype) -> Vec<u8> {
    let values = t.to_vec();
    let mut out = Vec::with_capacity(values.len() * dtype.bitsize() / 8);
    for v in values {
        let v = v.to_f64();
        match dtype {
            Dtype::F64 => out.extend_from_slice(&v.to_le_bytes()),
            Dtype::I64 => out.extend_from_slice(&(v.round() as i64).to_le_bytes()),
            _ => out.extend_from_slice(&(v as f32).to_le_bytes()),
        }
    }
    out
}

/// Reads `N`-byte little-endian values and converts each with `f`.
fn each<const N: usize, T: Float>(bytes: &[u8], f: impl Fn([u8; N]) -> f64) -> Vec<T> {
    bytes
        .chunks_exact(N)
        .map(|c| T::from_f64(f(c.try_into().expect("chunks_exact"))))
        .collect()
}

/// The values of `bytes` stored as `dtype`, converted to `T`; `None` for a dtype that is
/// not a real number (8-bit and smaller floats).
pub(super) fn from_bytes<T: Float>(bytes: &[u8], dtype: Dtype) -> Option<Vec<T>> {
    Some(match dtype {
        Dtype::F64 => each::<8, T>(bytes, f64::from_le_bytes),
        Dtype::F32 => each::<4, T>(bytes, |b| f32::from_le_bytes(b).into()),
        Dtype::F16 => each::<2, T>(bytes, |b| f16::from_le_bytes(b).to_f64()),
        Dtype::BF16 => each::<2, T>(bytes, |b| bf16::from_le_bytes(b).to_f64()),
        Dtype::I64 => each::<8, T>(bytes, |b| i64::from_le_bytes(b) as f64),
        Dtype::I32 => each::<4, T>(bytes, |b| i32::from_le_bytes(b).into()),
        Dtype::I16 => each::<2, T>(bytes, |b| i16::from_le_bytes(b).into()),
        Dtype::I8 => each::<1, T>(bytes, |b| i8::from_le_bytes(b).into()),
        Dtype::U64 => each::<8, T>(bytes, |b| u64::from_le_bytes(b) as f64),
        Dtype::U32 => each::<4, T>(bytes, |b| u32::from_le_bytes(b).into()),
        Dtype::U16 => each::<2, T>(bytes, |b| u16::from_le_bytes(b).into()),
        Dtype::U8 => each::<1, T>(bytes, |b| b[0].into()),
        Dtype::BOOL => each::<1, T>(bytes, |b| f64::from(u8::from(b[0] != 0))),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn half_precision_and_integers_convert_exactly() {
        // 1.5 in f16 is 0x3E00; -2.0 in bf16 is 0xC000; 65504 (f16 max) is 0x7BFF.
        let f16s = [0x00u8, 0x3E, 0xFF, 0x7B];
        assert_eq!(
            from_bytes::<f32>(&f16s, Dtype::F16),
            Some(vec![1.5, 65504.0])
        );
        assert_eq!(
            from_bytes::<f64>(&[0x00, 0xC0], Dtype::BF16),
            Some(vec![-2.0])
        );
        let i64s: Vec<u8> = [-3i64, 1 << 40]
            .iter()
            .flat_map(|v| v.to_le_bytes())
            .collect();
        assert_eq!(
            from_bytes::<f64>(&i64s, Dtype::I64),
            Some(vec![-3.0, (1u64 << 40) as f64])
        );
        assert_eq!(
            from_bytes::<f32>(&[255, 1], Dtype::U8),
            Some(vec![255.0, 1.0])
        );
        assert_eq!(from_bytes::<f32>(&[0xFF], Dtype::I8), Some(vec![-1.0]));
        assert_eq!(
            from_bytes::<f32>(&[0, 7], Dtype::BOOL),
            Some(vec![0.0, 1.0])
        );
        assert_eq!(from_bytes::<f32>(&[0; 8], Dtype::F8_E4M3), None);
        let count = Tensor::<f32>::scalar(12.0);
        assert_eq!(to_bytes(&count, Dtype::I64), 12i64.to_le_bytes());
    }
}
