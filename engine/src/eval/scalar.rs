//! Numbers, booleans and chars as the expression language computes with
//! them: Rust's arithmetic, comparisons and `as` casts, checked (overflow
//! and division by zero are errors, as in a debug build), with one leniency
//! a debugger wants: operands of different integer types meet in the wider
//! type instead of being refused.

use super::parser::{BinOp, UnOp};
use crate::dwarf::types::Encoding;

/// An integer type: its width, sign, and whether it is `isize`/`usize`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IntTy {
    pub bits: u32,
    pub signed: bool,
    pub pointer_sized: bool,
}

impl IntTy {
    pub const USIZE: IntTy = IntTy {
        bits: 64,
        signed: false,
        pointer_sized: true,
    };

    pub fn name(self) -> String {
        match (self.signed, self.pointer_sized) {
            (true, true) => "isize".into(),
            (false, true) => "usize".into(),
            (true, false) => format!("i{}", self.bits),
            (false, false) => format!("u{}", self.bits),
        }
    }

    pub fn from_name(name: &str) -> Option<IntTy> {
        let (signed, rest) = match name.as_bytes().first()? {
            b'i' => (true, &name[1..]),
            b'u' => (false, &name[1..]),
            _ => return None,
        };
        let (bits, pointer_sized) = match rest {
            "size" => (64, true),
            "8" => (8, false),
            "16" => (16, false),
            "32" => (32, false),
            "64" => (64, false),
            "128" => (128, false),
            _ => return None,
        };
        Some(IntTy {
            bits,
            signed,
            pointer_sized,
        })
    }

    /// From a DWARF base type's size and sign, with its name when it is one.
    pub fn of(name: &str, size: u64, signed: bool) -> IntTy {
        IntTy::from_name(name)
            .filter(|t| t.signed == signed && t.bits as u64 == size * 8)
            .unwrap_or(IntTy {
                bits: (size.clamp(1, 16) * 8) as u32,
                signed,
                pointer_sized: false,
            })
    }

    fn min(self) -> i128 {
        match (self.signed, self.bits) {
            (false, _) => 0,
            (true, 128) => i128::MIN,
            (true, b) => -(1i128 << (b - 1)),
        }
    }

    fn max(self) -> i128 {
        match (self.signed, self.bits) {
            (true, 128) | (false, 128) => i128::MAX,
            (true, b) => (1i128 << (b - 1)) - 1,
            (false, b) => (1i128 << b) - 1,
        }
    }

    /// `v` truncated to this type, as `as` does.
    pub fn wrap(self, v: i128) -> i128 {
        if self.bits >= 128 {
            return v;
        }
        let u = (v as u128) & ((1u128 << self.bits) - 1);
        if self.signed && (u >> (self.bits - 1)) & 1 == 1 {
            (u as i128) - (1i128 << self.bits)
        } else {
            u as i128
        }
    }
}

/// A computed scalar. Integer and float literals have no type until they
/// meet a typed operand (`x + 1` is `x`'s type).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Scalar {
    Int(i128, Option<IntTy>),
    /// The value, and `Some(true)` for `f32`, `Some(false)` for `f64`.
    Float(f64, Option<bool>),
    Bool(bool),
    Char(char),
}

/// What a cast converts to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NumTy {
    Int(IntTy),
    /// `true` for `f32`.
    Float(bool),
    Char,
    Bool,
}

impl NumTy {
    pub fn from_name(name: &str) -> Option<NumTy> {
        match name {
            "f32" => Some(NumTy::Float(true)),
            "f64" => Some(NumTy::Float(false)),
            "char" => Some(NumTy::Char),
            "bool" => Some(NumTy::Bool),
            n => IntTy::from_name(n).map(NumTy::Int),
        }
    }
}

impl Scalar {
    /// The type as Rust names it (an untyped integer shows as `i64`, an
    /// untyped float as `f64`).
    pub fn type_name(&self) -> String {
        match self {
            Scalar::Int(_, Some(t)) => t.name(),
            Scalar::Int(..) => "i64".into(),
            Scalar::Float(_, Some(true)) => "f32".into(),
            Scalar::Float(..) => "f64".into(),
            Scalar::Bool(_) => "bool".into(),
            Scalar::Char(_) => "char".into(),
        }
    }

    /// The encoding and size a value of this scalar's type has in memory.
    pub fn layout(&self) -> (Encoding, u64) {
        match self {
            Scalar::Int(v, t) => {
                let t = t.unwrap_or(if i64::try_from(*v).is_ok() {
                    IntTy::from_name("i64").expect("i64")
                } else {
                    IntTy::from_name("i128").expect("i128")
                });
                (
                    if t.signed {
                        Encoding::Signed
                    } else {
                        Encoding::Unsigned
                    },
                    t.bits as u64 / 8,
                )
            }
            Scalar::Float(_, Some(true)) => (Encoding::Float, 4),
            Scalar::Float(..) => (Encoding::Float, 8),
            Scalar::Bool(_) => (Encoding::Bool, 1),
            Scalar::Char(_) => (Encoding::Char, 4),
        }
    }

    /// The little-endian bytes of this value in its type.
    pub fn bytes(&self) -> Vec<u8> {
        let (_, size) = self.layout();
        match self {
            Scalar::Int(v, _) => v.to_le_bytes()[..size as usize].to_vec(),
            Scalar::Float(f, Some(true)) => (*f as f32).to_le_bytes().to_vec(),
            Scalar::Float(f, _) => f.to_le_bytes().to_vec(),
            Scalar::Bool(b) => vec![*b as u8],
            Scalar::Char(c) => (*c as u32).to_le_bytes().to_vec(),
        }
    }

    /// Reads a scalar from the bytes of a base type.
    pub fn from_bytes(bytes: &[u8], enc: Encoding, name: &str) -> Option<Scalar> {
        let size = bytes.len().min(16);
        let mut buf = [0u8; 16];
        buf[..size].copy_from_slice(&bytes[..size]);
        let raw = u128::from_le_bytes(buf);
        Some(match enc {
            Encoding::Signed => {
                let t = IntTy::of(name, size as u64, true);
                Scalar::Int(t.wrap(raw as i128), Some(t))
            }
            Encoding::Unsigned => {
                let t = IntTy::of(name, size as u64, false);
                Scalar::Int(i128::try_from(raw).ok()?, Some(t))
            }
            Encoding::Float => match size {
                4 => Scalar::Float(f32::from_bits(raw as u32) as f64, Some(true)),
                8 => Scalar::Float(f64::from_bits(raw as u64), Some(false)),
                _ => return None,
            },
            Encoding::Bool => Scalar::Bool(raw != 0),
            Encoding::Char => Scalar::Char(char::from_u32(raw as u32)?),
            Encoding::Unit => return None,
        })
    }

    /// `{:?}` text.
    pub fn text(&self) -> String {
        match self {
            Scalar::Int(v, _) => v.to_string(),
            Scalar::Float(f, Some(true)) => format!("{:?}", *f as f32),
            Scalar::Float(f, _) => format!("{f:?}"),
            Scalar::Bool(b) => b.to_string(),
            Scalar::Char(c) => format!("{c:?}"),
        }
    }
}

fn op_name(op: BinOp) -> &'static str {
    match op {
        BinOp::Add => "add",
        BinOp::Sub => "subtract",
        BinOp::Mul => "multiply",
        BinOp::Div => "divide",
        BinOp::Rem => "calculate the remainder",
        BinOp::Shl => "shift left",
        BinOp::Shr => "shift right",
        _ => "compute",
    }
}

/// The type two integer operands meet in: the typed one, else the wider,
/// signed if either is.
fn meet(a: Option<IntTy>, b: Option<IntTy>) -> Option<IntTy> {
    match (a, b) {
        (Some(a), Some(b)) if a == b => Some(a),
        (Some(a), Some(b)) => Some(IntTy {
            bits: a.bits.max(b.bits),
            signed: a.signed || b.signed,
            pointer_sized: a.pointer_sized && b.pointer_sized,
        }),
        (a, b) => a.or(b),
    }
}

fn float_ty(a: &Scalar, b: &Scalar) -> Option<bool> {
    let ty = |s: &Scalar| match s {
        Scalar::Float(_, t) => *t,
        _ => None,
    };
    match (ty(a), ty(b)) {
        (Some(x), Some(y)) => Some(x && y),
        (x, y) => x.or(y),
    }
}

fn as_f64(s: &Scalar) -> Option<f64> {
    match s {
        Scalar::Int(v, _) => Some(*v as f64),
        Scalar::Float(f, _) => Some(*f),
        _ => None,
    }
}

/// `a op b`, for every operator but `&&` and `||`.
pub fn binary(op: BinOp, a: Scalar, b: Scalar) -> Result<Scalar, String> {
    use BinOp::*;
    use Scalar::*;
    let mismatch = || {
        format!(
            "cannot apply `{}` to {} and {}",
            op.symbol(),
            a.type_name(),
            b.type_name()
        )
    };
    if matches!(op, Eq | Ne | Lt | Le | Gt | Ge) {
        let ord = match (&a, &b) {
            (Int(x, _), Int(y, _)) => x.partial_cmp(y),
            (Bool(x), Bool(y)) => x.partial_cmp(y),
            (Char(x), Char(y)) => x.partial_cmp(y),
            _ => match (as_f64(&a), as_f64(&b)) {
                (Some(x), Some(y)) => x.partial_cmp(&y),
                _ => return Err(mismatch()),
            },
        };
        use std::cmp::Ordering as O;
        return Ok(Bool(match (op, ord) {
            (Ne, None) => true,
            (_, None) => false,
            (Eq, Some(o)) => o == O::Equal,
            (Ne, Some(o)) => o != O::Equal,
            (Lt, Some(o)) => o == O::Less,
            (Le, Some(o)) => o != O::Greater,
            (Gt, Some(o)) => o == O::Greater,
            (Ge, Some(o)) => o != O::Less,
            _ => unreachable!(),
        }));
    }
    match (a, b) {
        (Bool(x), Bool(y)) => match op {
            BitAnd | And => Ok(Bool(x & y)),
            BitOr | Or => Ok(Bool(x | y)),
            BitXor => Ok(Bool(x ^ y)),
            _ => Err(mismatch()),
        },
        (Int(x, tx), Int(y, ty)) => {
            let overflow = |t: Option<IntTy>| {
                format!(
                    "attempt to {} with overflow ({})",
                    op_name(op),
                    t.map_or("i128".into(), IntTy::name)
                )
            };
            if matches!(op, Shl | Shr) {
                let t = tx.unwrap_or(IntTy {
                    bits: 128,
                    signed: true,
                    pointer_sized: false,
                });
                if y < 0 || y >= t.bits as i128 {
                    return Err(overflow(tx));
                }
                let v = if op == Shl {
                    t.wrap(((x as u128) << y) as i128)
                } else if t.signed {
                    x >> y
                } else {
                    ((x as u128) >> y) as i128
                };
                return Ok(Int(v, tx));
            }
            let t = meet(tx, ty);
            let v = match op {
                Add => x.checked_add(y),
                Sub => x.checked_sub(y),
                Mul => x.checked_mul(y),
                Div | Rem if y == 0 => {
                    return Err(format!(
                        "attempt to {} by zero",
                        if op == Div {
                            "divide"
                        } else {
                            "calculate the remainder with a divisor of"
                        }
                    ));
                }
                Div => x.checked_div(y),
                Rem => x.checked_rem(y),
                BitAnd => Some(x & y),
                BitOr => Some(x | y),
                BitXor => Some(x ^ y),
                _ => return Err(mismatch()),
            };
            match (v, t) {
                (Some(v), Some(t)) if v < t.min() || v > t.max() => Err(overflow(Some(t))),
                (Some(v), t) => Ok(Int(v, t)),
                (None, t) => Err(overflow(t)),
            }
        }
        (x, y) => {
            let (Some(fx), Some(fy)) = (as_f64(&x), as_f64(&y)) else {
                return Err(mismatch());
            };
            let t = float_ty(&x, &y);
            let v = match op {
                Add => fx + fy,
                Sub => fx - fy,
                Mul => fx * fy,
                Div => fx / fy,
                Rem => fx % fy,
                _ => return Err(mismatch()),
            };
            Ok(Float(if t == Some(true) { v as f32 as f64 } else { v }, t))
        }
    }
}

/// `-a` and `!a`.
pub fn unary(op: UnOp, a: Scalar) -> Result<Scalar, String> {
    match (op, a) {
        (UnOp::Neg, Scalar::Int(v, t)) => {
            if t.is_some_and(|t| !t.signed) {
                return Err(format!(
                    "cannot negate a {}",
                    t.map_or(String::new(), IntTy::name)
                ));
            }
            match v.checked_neg() {
                Some(n) if t.is_none_or(|t| n >= t.min() && n <= t.max()) => Ok(Scalar::Int(n, t)),
                _ => Err("attempt to negate with overflow".into()),
            }
        }
        (UnOp::Neg, Scalar::Float(f, t)) => Ok(Scalar::Float(-f, t)),
        (UnOp::Not, Scalar::Bool(b)) => Ok(Scalar::Bool(!b)),
        (UnOp::Not, Scalar::Int(v, t)) => {
            let t = t.unwrap_or(IntTy {
                bits: 128,
                signed: true,
                pointer_sized: false,
            });
            Ok(Scalar::Int(t.wrap(!v), Some(t)))
        }
        (op, a) => Err(format!(
            "cannot apply `{}` to {}",
            if op == UnOp::Neg { "-" } else { "!" },
            a.type_name()
        )),
    }
}

/// `a as ty`, with Rust's rules: integers wrap, floats saturate.
pub fn cast(a: Scalar, ty: NumTy) -> Result<Scalar, String> {
    Ok(match (a, ty) {
        (Scalar::Int(v, _), NumTy::Int(t)) => Scalar::Int(t.wrap(v), Some(t)),
        (Scalar::Bool(b), NumTy::Int(t)) => Scalar::Int(b as i128, Some(t)),
        (Scalar::Char(c), NumTy::Int(t)) => Scalar::Int(t.wrap(c as i128), Some(t)),
        (Scalar::Float(f, _), NumTy::Int(t)) => {
            let v = if f.is_nan() {
                0
            } else {
                (f.trunc().clamp(t.min() as f64, t.max() as f64)) as i128
            };
            Scalar::Int(v.clamp(t.min(), t.max()), Some(t))
        }
        (Scalar::Int(v, _), NumTy::Float(f32)) => {
            Scalar::Float(if f32 { v as f32 as f64 } else { v as f64 }, Some(f32))
        }
        (Scalar::Float(f, _), NumTy::Float(f32)) => {
            Scalar::Float(if f32 { f as f32 as f64 } else { f }, Some(f32))
        }
        (Scalar::Int(v, _), NumTy::Char) => Scalar::Char(
            u32::try_from(v)
                .ok()
                .and_then(char::from_u32)
                .ok_or_else(|| format!("{v} is not a char"))?,
        ),
        (Scalar::Char(c), NumTy::Char) => Scalar::Char(c),
        (Scalar::Bool(b), NumTy::Bool) => Scalar::Bool(b),
        (a, NumTy::Bool) => {
            return Err(format!(
                "cannot cast {} as bool (compare it instead: x != 0)",
                a.type_name()
            ));
        }
        (a, ty) => return Err(format!("cannot cast {} as {ty:?}", a.type_name())),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn int(v: i128, t: &str) -> Scalar {
        Scalar::Int(v, IntTy::from_name(t))
    }

    #[test]
    fn arithmetic_is_checked_and_typed() {
        assert_eq!(
            binary(BinOp::Add, int(5, "i64"), Scalar::Int(1, None)),
            Ok(int(6, "i64"))
        );
        assert_eq!(
            binary(BinOp::Add, int(255, "u8"), Scalar::Int(1, None)),
            Err("attempt to add with overflow (u8)".into())
        );
        assert_eq!(
            binary(BinOp::Sub, int(0, "u32"), Scalar::Int(1, None)),
            Err("attempt to subtract with overflow (u32)".into())
        );
        assert_eq!(
            binary(BinOp::Div, int(7, "i32"), Scalar::Int(0, None)),
            Err("attempt to divide by zero".into())
        );
        assert_eq!(
            binary(BinOp::Div, int(-7, "i32"), int(2, "i32")),
            Ok(int(-3, "i32"))
        );
        assert_eq!(
            binary(BinOp::Rem, int(-7, "i32"), int(2, "i32")),
            Ok(int(-1, "i32"))
        );
        assert_eq!(
            binary(BinOp::Add, int(1, "u8"), int(1, "i64")),
            Ok(int(2, "i64"))
        );
        assert_eq!(
            binary(
                BinOp::Mul,
                Scalar::Float(1.5, Some(false)),
                Scalar::Int(2, None)
            ),
            Ok(Scalar::Float(3.0, Some(false)))
        );
        assert_eq!(
            binary(BinOp::Shl, int(1, "u8"), Scalar::Int(7, None)),
            Ok(int(128, "u8"))
        );
        assert_eq!(
            binary(BinOp::Shl, int(1, "u8"), Scalar::Int(8, None)),
            Err("attempt to shift left with overflow (u8)".into())
        );
        assert_eq!(
            binary(BinOp::Lt, int(-1, "i64"), int(3, "u64")),
            Ok(Scalar::Bool(true))
        );
        assert_eq!(
            binary(
                BinOp::Eq,
                Scalar::Float(f64::NAN, None),
                Scalar::Float(f64::NAN, None)
            ),
            Ok(Scalar::Bool(false))
        );
        assert_eq!(
            binary(BinOp::Add, Scalar::Bool(true), Scalar::Int(1, None)),
            Err("cannot apply `+` to bool and i64".into())
        );
        assert_eq!(unary(UnOp::Not, int(0, "u8")), Ok(int(255, "u8")));
        assert_eq!(
            unary(UnOp::Neg, int(1, "u8")),
            Err("cannot negate a u8".into())
        );
    }

    #[test]
    fn casts_follow_rust() {
        let t = |n| NumTy::from_name(n).unwrap();
        assert_eq!(cast(int(300, "i32"), t("u8")), Ok(int(44, "u8")));
        assert_eq!(cast(int(-1, "i32"), t("u32")), Ok(int(4294967295, "u32")));
        assert_eq!(cast(Scalar::Float(-1.9, None), t("i8")), Ok(int(-1, "i8")));
        assert_eq!(cast(Scalar::Float(1e10, None), t("u8")), Ok(int(255, "u8")));
        assert_eq!(
            cast(Scalar::Float(f64::NAN, None), t("i32")),
            Ok(int(0, "i32"))
        );
        assert_eq!(cast(int(65, "u8"), t("char")), Ok(Scalar::Char('A')));
        assert_eq!(cast(Scalar::Char('A'), t("u32")), Ok(int(65, "u32")));
        assert_eq!(
            cast(int(7, "i64"), t("f32")),
            Ok(Scalar::Float(7.0, Some(true)))
        );
        assert_eq!(Scalar::Float(0.1, Some(true)).text(), "0.1");
        assert_eq!(int(-2, "i16").bytes(), vec![0xfe, 0xff]);
    }
}
