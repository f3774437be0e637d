"""The fixed-point contract between the coefficient tables (``_coeffs``) and
the uint8 kernels: plain Python constants, no compiled code.

PRECISION_BITS is Pillow's: uint8 weights are ``round(w * 2**22)``, an
accumulator starts at ``2**21`` and stores ``acc >> 22`` clamped to [0, 255].
conv_u8_* (``_jit``) multiplies 16-bit halves of each weight: the high part
``w >> SPLIT_BITS`` must fit an int16, so every weight has
``|w| < SPLIT_LIMIT``; the low part is ``w & SPLIT_MASK``.
"""
PRECISION_BITS = 32 - 8 - 2
SPLIT_BITS = 11
SPLIT_MASK = (1 << SPLIT_BITS) - 1
SPLIT_LIMIT = 1 << (15 + SPLIT_BITS)
