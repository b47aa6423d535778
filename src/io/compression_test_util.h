// Test-only references for compressed input, written straight with zlib and libzstd (not through
// the reader under test): compress bytes, and decode what the libraries themselves recover from a
// damaged stream. Shared by the line reader's tests and the malformed-input corpus.
#pragma once

#include <zlib.h>
#include <zstd.h>

#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

namespace gtops::testing {

// gzip (one member) of `data`, written with zlib's deflate in gzip mode.
inline std::string Gzip(std::string_view data) {
  z_stream zs{};
  EXPECT_EQ(deflateInit2(&zs, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY), Z_OK);
  std::string out(deflateBound(&zs, data.size()) + 64, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&zs, Z_FINISH), Z_STREAM_END);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

// zstd (one frame, level 3) of `data`.
inline std::string Zstd(std::string_view data) {
  std::string out(ZSTD_compressBound(data.size()), '\0');
  const size_t n = ZSTD_compress(out.data(), out.size(), data.data(), data.size(), 3);
  EXPECT_FALSE(ZSTD_isError(n));
  out.resize(n);
  return out;
}

// What zlib decodes from a possibly damaged gzip stream (all members) before it fails.
inline std::string GunzipPrefix(std::string_view gz) {
  z_stream zs{};
  EXPECT_EQ(inflateInit2(&zs, 15 + 32), Z_OK);
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(gz.data()));
  zs.avail_in = static_cast<uInt>(gz.size());
  std::string out;
  std::vector<char> buf(1 << 16);
  for (;;) {
    zs.next_out = reinterpret_cast<Bytef*>(buf.data());
    zs.avail_out = static_cast<uInt>(buf.size());
    const int rc = inflate(&zs, Z_NO_FLUSH);
    out.append(buf.data(), buf.size() - zs.avail_out);
    if (rc == Z_STREAM_END && zs.avail_in > 0) {
      inflateReset(&zs);
      continue;
    }
    if (rc != Z_OK || (zs.avail_in == 0 && zs.avail_out > 0)) break;
  }
  inflateEnd(&zs);
  return out;
}

// What libzstd decodes from a possibly damaged zstd stream before it fails.
inline std::string UnzstdPrefix(std::string_view zst) {
  ZSTD_DStream* ds = ZSTD_createDStream();
  ZSTD_inBuffer in{zst.data(), zst.size(), 0};
  std::string out;
  std::vector<char> buf(1 << 16);
  for (;;) {
    ZSTD_outBuffer o{buf.data(), buf.size(), 0};
    const size_t rc = ZSTD_decompressStream(ds, &o, &in);
    out.append(buf.data(), o.pos);
    if (ZSTD_isError(rc) || (in.pos == in.size && o.pos < o.size)) break;
  }
  ZSTD_freeDStream(ds);
  return out;
}

}  // namespace gtops::testing
