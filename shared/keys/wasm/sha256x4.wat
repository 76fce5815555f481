;; SHA-256 (FIPS 180-4) of many one-block message tails at once, four per 128-bit SIMD vector:
;; lane k of every vector belongs to block 4g+k. Every message starts with the same prefix, whose
;; compression (the midstate) the caller computed; each block here is a message's last, already
;; padded, block. Built into sha256x4.generated.ts by `npm run wasm:generate` (wabt).
;;
;; Rotations and byte swaps are written out in place: Node 20's V8 does not inline small wasm
;; functions, and a call per rotation made this 4.7x slower.
;;
;; Memory (little-endian words, the caller's layout):
;;   [0, 32)              midstate: 8 words
;;   [64, 320)            K: the 64 round constants
;;   [1024, 2048)         W: the message schedule of the current group, 64 vectors
;;   [4096, 4096+64n)     input: n blocks of 64 bytes (big-endian words, as hashed)
;;   [4096+64n, +16n)     output: the first 16 bytes of each digest, big-endian, block by block
;; n is a multiple of 4 (the caller pads with blocks whose digests it ignores).
(module
  (memory (export "memory") 1)

  ;; Word t of the 4 blocks at $in, one per lane.
  (func $gather (param $in i32) (param $t i32) (result v128)
    (local $at i32)
    (local.set $at (i32.add (local.get $in) (i32.shl (local.get $t) (i32.const 2))))
    (i8x16.swizzle
      (v128.load32_lane 3 (i32.add (local.get $at) (i32.const 192))
        (v128.load32_lane 2 (i32.add (local.get $at) (i32.const 128))
          (v128.load32_lane 1 (i32.add (local.get $at) (i32.const 64))
            (v128.load32_zero (local.get $at))))) (v128.const i8x16 3 2 1 0 7 6 5 4 11 10 9 8 15 14 13 12)))

  ;; Hashes blocks [0, n) of the input; writes their truncated digests to the output.
  (func (export "hash") (param $n i32)
    (local $g i32) (local $in i32) (local $out i32) (local $t i32) (local $w i32)
    (local $a v128) (local $b v128) (local $c v128) (local $d v128)
    (local $e v128) (local $f v128) (local $gg v128) (local $h v128)
    (local $t1 v128) (local $t2 v128) (local $x v128) (local $y v128)
    (local $r0 v128) (local $r1 v128) (local $r2 v128) (local $r3 v128)
    (local.set $in (i32.const 4096))
    (local.set $out (i32.add (i32.const 4096) (i32.shl (local.get $n) (i32.const 6))))
    (local.set $g (i32.const 0))
    (block $done
      (loop $group
        (br_if $done (i32.ge_u (local.get $g) (local.get $n)))
        ;; W[0..16): the blocks' words, transposed into lanes.
        (local.set $t (i32.const 0))
        (loop $load
          (v128.store (i32.add (i32.const 1024) (i32.shl (local.get $t) (i32.const 4)))
            (call $gather (local.get $in) (local.get $t)))
          (local.set $t (i32.add (local.get $t) (i32.const 1)))
          (br_if $load (i32.lt_u (local.get $t) (i32.const 16))))
        ;; W[16..64): W[t] = s1(W[t-2]) + W[t-7] + s0(W[t-15]) + W[t-16].
        (loop $schedule
          (local.set $w (i32.add (i32.const 1024) (i32.shl (local.get $t) (i32.const 4))))
          (local.set $x (v128.load (i32.sub (local.get $w) (i32.const 240))))
          (local.set $y (v128.load (i32.sub (local.get $w) (i32.const 32))))
          (v128.store (local.get $w)
            (i32x4.add
              (i32x4.add
                (v128.xor (v128.xor (v128.or (i32x4.shr_u (local.get $y) (i32.const 17)) (i32x4.shl (local.get $y) (i32.const 15))) (v128.or (i32x4.shr_u (local.get $y) (i32.const 19)) (i32x4.shl (local.get $y) (i32.const 13))))
                  (i32x4.shr_u (local.get $y) (i32.const 10)))
                (v128.load (i32.sub (local.get $w) (i32.const 112))))
              (i32x4.add
                (v128.xor (v128.xor (v128.or (i32x4.shr_u (local.get $x) (i32.const 7)) (i32x4.shl (local.get $x) (i32.const 25))) (v128.or (i32x4.shr_u (local.get $x) (i32.const 18)) (i32x4.shl (local.get $x) (i32.const 14))))
                  (i32x4.shr_u (local.get $x) (i32.const 3)))
                (v128.load (i32.sub (local.get $w) (i32.const 256))))))
          (local.set $t (i32.add (local.get $t) (i32.const 1)))
          (br_if $schedule (i32.lt_u (local.get $t) (i32.const 64))))
        ;; The working variables start from the midstate, in every lane.
        (local.set $a (v128.load32_splat (i32.const 0)))
        (local.set $b (v128.load32_splat (i32.const 4)))
        (local.set $c (v128.load32_splat (i32.const 8)))
        (local.set $d (v128.load32_splat (i32.const 12)))
        (local.set $e (v128.load32_splat (i32.const 16)))
        (local.set $f (v128.load32_splat (i32.const 20)))
        (local.set $gg (v128.load32_splat (i32.const 24)))
        (local.set $h (v128.load32_splat (i32.const 28)))
        (local.set $t (i32.const 0))
        (loop $round
          ;; t1 = h + S1(e) + Ch(e, f, g) + K[t] + W[t]
          (local.set $t1
            (i32x4.add
              (i32x4.add (local.get $h)
                (v128.xor (v128.xor (v128.or (i32x4.shr_u (local.get $e) (i32.const 6)) (i32x4.shl (local.get $e) (i32.const 26))) (v128.or (i32x4.shr_u (local.get $e) (i32.const 11)) (i32x4.shl (local.get $e) (i32.const 21))))
                  (v128.or (i32x4.shr_u (local.get $e) (i32.const 25)) (i32x4.shl (local.get $e) (i32.const 7)))))
              (i32x4.add
                (v128.bitselect (local.get $f) (local.get $gg) (local.get $e))
                (i32x4.add
                  (v128.load32_splat (i32.add (i32.const 64) (i32.shl (local.get $t) (i32.const 2))))
                  (v128.load (i32.add (i32.const 1024) (i32.shl (local.get $t) (i32.const 4))))))))
          ;; t2 = S0(a) + Maj(a, b, c)
          (local.set $t2
            (i32x4.add
              (v128.xor (v128.xor (v128.or (i32x4.shr_u (local.get $a) (i32.const 2)) (i32x4.shl (local.get $a) (i32.const 30))) (v128.or (i32x4.shr_u (local.get $a) (i32.const 13)) (i32x4.shl (local.get $a) (i32.const 19))))
                (v128.or (i32x4.shr_u (local.get $a) (i32.const 22)) (i32x4.shl (local.get $a) (i32.const 10))))
              (v128.bitselect (local.get $b) (local.get $c) (v128.xor (local.get $a) (local.get $c)))))
          (local.set $h (local.get $gg))
          (local.set $gg (local.get $f))
          (local.set $f (local.get $e))
          (local.set $e (i32x4.add (local.get $d) (local.get $t1)))
          (local.set $d (local.get $c))
          (local.set $c (local.get $b))
          (local.set $b (local.get $a))
          (local.set $a (i32x4.add (local.get $t1) (local.get $t2)))
          (local.set $t (i32.add (local.get $t) (i32.const 1)))
          (br_if $round (i32.lt_u (local.get $t) (i32.const 64))))
        ;; Only the first four words of the state are kept (the digest's first 16 bytes).
        (local.set $a (i32x4.add (local.get $a) (v128.load32_splat (i32.const 0))))
        (local.set $b (i32x4.add (local.get $b) (v128.load32_splat (i32.const 4))))
        (local.set $c (i32x4.add (local.get $c) (v128.load32_splat (i32.const 8))))
        (local.set $d (i32x4.add (local.get $d) (v128.load32_splat (i32.const 12))))
        ;; Transpose: lane k of (a, b, c, d) becomes the 16 bytes of block 4g+k.
        (local.set $r0 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $a) (local.get $b)))
        (local.set $r1 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $c) (local.get $d)))
        (local.set $r2 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $a) (local.get $b)))
        (local.set $r3 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $c) (local.get $d)))
        (v128.store offset=0 (local.get $out)
          (i8x16.swizzle (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $r0) (local.get $r1)) (v128.const i8x16 3 2 1 0 7 6 5 4 11 10 9 8 15 14 13 12)))
        (v128.store offset=16 (local.get $out)
          (i8x16.swizzle (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $r0) (local.get $r1)) (v128.const i8x16 3 2 1 0 7 6 5 4 11 10 9 8 15 14 13 12)))
        (v128.store offset=32 (local.get $out)
          (i8x16.swizzle (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $r2) (local.get $r3)) (v128.const i8x16 3 2 1 0 7 6 5 4 11 10 9 8 15 14 13 12)))
        (v128.store offset=48 (local.get $out)
          (i8x16.swizzle (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $r2) (local.get $r3)) (v128.const i8x16 3 2 1 0 7 6 5 4 11 10 9 8 15 14 13 12)))
        (local.set $in (i32.add (local.get $in) (i32.const 256)))
        (local.set $out (i32.add (local.get $out) (i32.const 64)))
        (local.set $g (i32.add (local.get $g) (i32.const 4)))
        (br $group))))
)
