package djangohash

// An Argon2 implementation for what golang.org/x/crypto/argon2 cannot
// compute: version 16 (0x10, argon2-cffi before 2016 and every hash without
// a v= field) and the argon2d variant, both of which Django's
// Argon2PasswordHasher verifies through argon2-cffi. Version 19 hashes of
// argon2i and argon2id still go to x/crypto, whose SIMD code is faster;
// tests check that both implementations agree on those.
//
// Adapted from golang.org/x/crypto/argon2 (BSD-3-Clause, Copyright The Go
// Authors; see LICENSE-golang-x-crypto.txt) with the two differences of
// version 16 from RFC 9106's version 19: the version number hashed into H0,
// and blocks overwritten rather than XOR-ed on passes after the first. It
// fills lanes one after another rather than in parallel: it runs only for
// the rare hashes above, once per login before they are upgraded.

import (
	"encoding/binary"
	"hash"

	"golang.org/x/crypto/blake2b"
)

// Argon2 variants as numbered in H0 and in the address blocks.
const (
	argon2d  = 0
	argon2i  = 1
	argon2id = 2
)

// Argon2 versions.
const (
	argon2v10 = 0x10
	argon2v13 = 0x13
)

const (
	argonBlockWords = 128 // a 1 KiB block of 64-bit words
	argonSyncPoints = 4
)

type argonBlock [argonBlockWords]uint64

// argon2Key derives keyLen bytes. Callers have checked the parameters
// (time ≥ 1, threads ≥ 1, memory ≥ 8·threads, within Onit's limits).
func argon2Key(variant, version int, password, salt []byte, time, memory uint32, threads uint8, keyLen uint32) []byte {
	lanes := uint32(threads)
	h0 := argonH0(variant, version, password, salt, time, memory, lanes, keyLen)
	memory = memory / (argonSyncPoints * lanes) * (argonSyncPoints * lanes)
	if memory < 2*argonSyncPoints*lanes {
		memory = 2 * argonSyncPoints * lanes
	}
	b := argonInitBlocks(&h0, memory, lanes)
	argonFill(b, variant, version, time, memory, lanes)
	return argonExtract(b, memory, lanes, keyLen)
}

func argonH0(variant, version int, password, salt []byte, time, memory, lanes, keyLen uint32) [blake2b.Size + 8]byte {
	var h0 [blake2b.Size + 8]byte
	var params [24]byte
	var n [4]byte
	b2, _ := blake2b.New512(nil)
	binary.LittleEndian.PutUint32(params[0:4], lanes)
	binary.LittleEndian.PutUint32(params[4:8], keyLen)
	binary.LittleEndian.PutUint32(params[8:12], memory)
	binary.LittleEndian.PutUint32(params[12:16], time)
	binary.LittleEndian.PutUint32(params[16:20], uint32(version))
	binary.LittleEndian.PutUint32(params[20:24], uint32(variant))
	b2.Write(params[:])
	for _, field := range [][]byte{password, salt, nil, nil} { // no secret, no associated data
		binary.LittleEndian.PutUint32(n[:], uint32(len(field)))
		b2.Write(n[:])
		b2.Write(field)
	}
	b2.Sum(h0[:0])
	return h0
}

func argonInitBlocks(h0 *[blake2b.Size + 8]byte, memory, lanes uint32) []argonBlock {
	var raw [1024]byte
	b := make([]argonBlock, memory)
	for lane := range lanes {
		j := lane * (memory / lanes)
		binary.LittleEndian.PutUint32(h0[blake2b.Size+4:], lane)
		for i := range uint32(2) {
			binary.LittleEndian.PutUint32(h0[blake2b.Size:], i)
			argonHash(raw[:], h0[:])
			for w := range b[j+i] {
				b[j+i][w] = binary.LittleEndian.Uint64(raw[w*8:])
			}
		}
	}
	return b
}

func argonFill(b []argonBlock, variant, version int, time, memory, lanes uint32) {
	laneLen := memory / lanes
	segLen := laneLen / argonSyncPoints
	for pass := range time {
		for slice := range uint32(argonSyncPoints) {
			for lane := range lanes {
				argonSegment(b, variant, version, pass, slice, lane, time, memory, lanes, laneLen, segLen)
			}
		}
	}
}

func argonSegment(b []argonBlock, variant, version int, pass, slice, lane, time, memory, lanes, laneLen, segLen uint32) {
	var addresses, in, zero argonBlock
	independent := variant == argon2i || (variant == argon2id && pass == 0 && slice < argonSyncPoints/2)
	if independent {
		in[0], in[1], in[2] = uint64(pass), uint64(lane), uint64(slice)
		in[3], in[4], in[5] = uint64(memory), uint64(time), uint64(variant)
	}
	index := uint32(0)
	if pass == 0 && slice == 0 {
		index = 2 // the first two blocks of each lane come from H0
		if independent {
			in[6]++
			argonCompress(&addresses, &in, &zero, false)
			argonCompress(&addresses, &addresses, &zero, false)
		}
	}
	offset := lane*laneLen + slice*segLen + index
	for index < segLen {
		prev := offset - 1
		if index == 0 && slice == 0 {
			prev += laneLen // the lane's last block
		}
		var random uint64
		if independent {
			if index%argonBlockWords == 0 {
				in[6]++
				argonCompress(&addresses, &in, &zero, false)
				argonCompress(&addresses, &addresses, &zero, false)
			}
			random = addresses[index%argonBlockWords]
		} else {
			random = b[prev][0]
		}
		ref := argonIndexAlpha(random, laneLen, segLen, lanes, pass, slice, lane, index)
		// Version 19 XORs into the block's previous content after the
		// first pass; version 16 overwrites it.
		argonCompress(&b[offset], &b[prev], &b[ref], version == argon2v13 && pass > 0)
		index, offset = index+1, offset+1
	}
}

func argonIndexAlpha(random uint64, laneLen, segLen, lanes, pass, slice, lane, index uint32) uint32 {
	refLane := uint32(random>>32) % lanes
	if pass == 0 && slice == 0 {
		refLane = lane
	}
	m, s := 3*segLen, ((slice+1)%argonSyncPoints)*segLen
	if lane == refLane {
		m += index
	}
	if pass == 0 {
		m, s = slice*segLen, 0
		if slice == 0 || lane == refLane {
			m += index
		}
	}
	if index == 0 || lane == refLane {
		m--
	}
	p := random & 0xFFFFFFFF
	p = (p * p) >> 32
	p = (p * uint64(m)) >> 32
	return refLane*laneLen + uint32((uint64(s)+uint64(m)-(p+1))%uint64(laneLen))
}

func argonExtract(b []argonBlock, memory, lanes, keyLen uint32) []byte {
	laneLen := memory / lanes
	for lane := range lanes - 1 {
		for i, v := range b[lane*laneLen+laneLen-1] {
			b[memory-1][i] ^= v
		}
	}
	var raw [1024]byte
	for i, v := range b[memory-1] {
		binary.LittleEndian.PutUint64(raw[i*8:], v)
	}
	key := make([]byte, keyLen)
	argonHash(key, raw[:])
	return key
}

// argonHash is Argon2's variable-length hash H' built on BLAKE2b.
func argonHash(out, in []byte) {
	var b2 hash.Hash
	if n := len(out); n < blake2b.Size {
		b2, _ = blake2b.New(n, nil)
	} else {
		b2, _ = blake2b.New512(nil)
	}
	var buf [blake2b.Size]byte
	binary.LittleEndian.PutUint32(buf[:4], uint32(len(out)))
	b2.Write(buf[:4])
	b2.Write(in)
	if len(out) <= blake2b.Size {
		b2.Sum(out[:0])
		return
	}
	outLen := len(out)
	b2.Sum(buf[:0])
	b2.Reset()
	copy(out, buf[:32])
	out = out[32:]
	for len(out) > blake2b.Size {
		b2.Write(buf[:])
		b2.Sum(buf[:0])
		copy(out, buf[:32])
		out = out[32:]
		b2.Reset()
	}
	if outLen%blake2b.Size > 0 {
		r := ((outLen + 31) / 32) - 2
		b2, _ = blake2b.New(outLen-32*r, nil)
	}
	b2.Write(buf[:])
	b2.Sum(out[:0])
}

// argonCompress is the compression function G: out = P(x⊕y) ⊕ x ⊕ y, or
// out ⊕= that when xor.
func argonCompress(out, x, y *argonBlock, xor bool) {
	var t argonBlock
	for i := range t {
		t[i] = x[i] ^ y[i]
	}
	for i := 0; i < argonBlockWords; i += 16 {
		blamka(&t[i+0], &t[i+1], &t[i+2], &t[i+3], &t[i+4], &t[i+5], &t[i+6], &t[i+7],
			&t[i+8], &t[i+9], &t[i+10], &t[i+11], &t[i+12], &t[i+13], &t[i+14], &t[i+15])
	}
	for i := 0; i < argonBlockWords/8; i += 2 {
		blamka(&t[i], &t[i+1], &t[16+i], &t[16+i+1], &t[32+i], &t[32+i+1], &t[48+i], &t[48+i+1],
			&t[64+i], &t[64+i+1], &t[80+i], &t[80+i+1], &t[96+i], &t[96+i+1], &t[112+i], &t[112+i+1])
	}
	if xor {
		for i := range t {
			out[i] ^= x[i] ^ y[i] ^ t[i]
		}
		return
	}
	for i := range t {
		out[i] = x[i] ^ y[i] ^ t[i]
	}
}

// blamka is BLAKE2b's round with multiplications (Argon2's permutation P
// applied to one row or column of 16 words).
func blamka(t00, t01, t02, t03, t04, t05, t06, t07, t08, t09, t10, t11, t12, t13, t14, t15 *uint64) {
	v := [16]uint64{*t00, *t01, *t02, *t03, *t04, *t05, *t06, *t07, *t08, *t09, *t10, *t11, *t12, *t13, *t14, *t15}
	g := func(a, b, c, d int) {
		v[a] += v[b] + 2*uint64(uint32(v[a]))*uint64(uint32(v[b]))
		v[d] ^= v[a]
		v[d] = v[d]>>32 | v[d]<<32
		v[c] += v[d] + 2*uint64(uint32(v[c]))*uint64(uint32(v[d]))
		v[b] ^= v[c]
		v[b] = v[b]>>24 | v[b]<<40
		v[a] += v[b] + 2*uint64(uint32(v[a]))*uint64(uint32(v[b]))
		v[d] ^= v[a]
		v[d] = v[d]>>16 | v[d]<<48
		v[c] += v[d] + 2*uint64(uint32(v[c]))*uint64(uint32(v[d]))
		v[b] ^= v[c]
		v[b] = v[b]>>63 | v[b]<<1
	}
	g(0, 4, 8, 12)
	g(1, 5, 9, 13)
	g(2, 6, 10, 14)
	g(3, 7, 11, 15)
	g(0, 5, 10, 15)
	g(1, 6, 11, 12)
	g(2, 7, 8, 13)
	g(3, 4, 9, 14)
	*t00, *t01, *t02, *t03, *t04, *t05, *t06, *t07 = v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7]
	*t08, *t09, *t10, *t11, *t12, *t13, *t14, *t15 = v[8], v[9], v[10], v[11], v[12], v[13], v[14], v[15]
}
