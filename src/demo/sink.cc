#include "demo/sink.h"

#include <zlib.h>
#include <zstd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <utility>
#include <memory>

#include <fmt/format.h>

namespace gtops::demo {
namespace {

constexpr size_t kBufferBytes = 1 << 20;

}  // namespace

std::string_view Extension(Compression c) {
  switch (c) {
    case Compression::kGzip: return ".jsonl.gz";
    case Compression::kZstd: return ".jsonl.zst";
    case Compression::kNone: break;
  }
  return ".jsonl";
}

// One open part. Compressing streams own their compressor state and push compressed bytes
// through a plain FILE*.
class RecordFile::Stream {
 public:
  Stream(FILE* f, std::string path, Compression c) : file_(f), path_(std::move(path)), kind_(c) {
    if (kind_ == Compression::kGzip) {
      std::memset(&z_, 0, sizeof z_);
      // Level 1: the generator is benchmark input, where speed matters more than size.
      if (deflateInit2(&z_, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
        status_ = Status::Internal(fmt::format("{}: cannot start gzip", path_));
      }
    } else if (kind_ == Compression::kZstd) {
      zc_ = ZSTD_createCCtx();
      if (zc_ == nullptr) {
        status_ = Status::Internal(fmt::format("{}: cannot start zstd", path_));
      } else {
        ZSTD_CCtx_setParameter(zc_, ZSTD_c_compressionLevel, 3);
      }
    }
    if (kind_ != Compression::kNone) {
      out_size_ = kind_ == Compression::kZstd ? ZSTD_CStreamOutSize() : kBufferBytes;
      out_ = std::make_unique_for_overwrite<char[]>(out_size_);
    }
  }
  ~Stream() {
    if (kind_ == Compression::kGzip) deflateEnd(&z_);
    if (zc_ != nullptr) ZSTD_freeCCtx(zc_);
    if (file_ != nullptr) std::fclose(file_);
  }
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;

  Status Write(std::string_view data, bool finish) {
    if (!status_.ok()) return status_;
    switch (kind_) {
      case Compression::kNone:
        if (!data.empty() && std::fwrite(data.data(), 1, data.size(), file_) != data.size()) {
          return Fail();
        }
        break;
      case Compression::kGzip: WriteGzip(data, finish); break;
      case Compression::kZstd: WriteZstd(data, finish); break;
    }
    return status_;
  }

  Status Close() {
    if (status_.ok()) {
      if (std::fclose(file_) != 0) {
        file_ = nullptr;
        return Fail();
      }
    } else {
      std::fclose(file_);
    }
    file_ = nullptr;
    return status_;
  }

 private:
  Status Fail() {
    if (status_.ok()) {
      status_ = Status::StoreError(fmt::format("{}: cannot write: {}", path_, std::strerror(errno)));
    }
    return status_;
  }

  void Put(const char* p, size_t n) {
    if (n != 0 && std::fwrite(p, 1, n, file_) != n) (void)Fail();
  }

  void WriteGzip(std::string_view data, bool finish) {
    z_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
    z_.avail_in = static_cast<uInt>(data.size());
    const int flush = finish ? Z_FINISH : Z_NO_FLUSH;
    while (status_.ok()) {
      z_.next_out = reinterpret_cast<Bytef*>(out_.get());
      z_.avail_out = static_cast<uInt>(out_size_);
      const int rc = deflate(&z_, flush);
      if (rc == Z_STREAM_ERROR) {
        status_ = Status::Internal(fmt::format("{}: gzip failed", path_));
        return;
      }
      Put(out_.get(), out_size_ - z_.avail_out);
      if (finish ? rc == Z_STREAM_END : z_.avail_in == 0) return;
    }
  }

  void WriteZstd(std::string_view data, bool finish) {
    ZSTD_inBuffer in{data.data(), data.size(), 0};
    const ZSTD_EndDirective mode = finish ? ZSTD_e_end : ZSTD_e_continue;
    while (status_.ok()) {
      ZSTD_outBuffer out{out_.get(), out_size_, 0};
      const size_t remaining = ZSTD_compressStream2(zc_, &out, &in, mode);
      if (ZSTD_isError(remaining)) {
        status_ = Status::Internal(
            fmt::format("{}: zstd failed: {}", path_, ZSTD_getErrorName(remaining)));
        return;
      }
      Put(out_.get(), out.pos);
      if (finish ? remaining == 0 : in.pos == in.size) return;
    }
  }

  FILE* file_;
  std::string path_;
  Compression kind_;
  z_stream z_{};
  ZSTD_CCtx* zc_ = nullptr;
  std::unique_ptr<char[]> out_;
  size_t out_size_ = 0;
  Status status_;
};

RecordFile::RecordFile(std::string dir, std::string stem, Compression compression,
                       int64_t split_bytes)
    : dir_(std::move(dir)),
      stem_(std::move(stem)),
      compression_(compression),
      split_bytes_(split_bytes) {}

RecordFile::~RecordFile() { (void)Close(); }

void RecordFile::Open() {
  const std::string path =
      part_ == 0 ? fmt::format("{}/{}{}", dir_, stem_, Extension(compression_))
                 : fmt::format("{}/{}-p{}{}", dir_, stem_, part_, Extension(compression_));
  FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) {
    status_ = Status::StoreError(fmt::format("{}: cannot create: {}", path, std::strerror(errno)));
    return;
  }
  stream_ = std::make_unique<Stream>(f, path, compression_);
  buf_.reserve(kBufferBytes + (1 << 16));
}

void RecordFile::Flush() {
  if (stream_ != nullptr && status_.ok() && !buf_.empty()) status_ = stream_->Write(buf_, false);
  buf_.clear();
}

void RecordFile::Append(std::string_view line) {
  if (!status_.ok()) return;
  if (stream_ == nullptr) {
    Open();
    if (!status_.ok()) return;
  } else if (part_bytes_ >= split_bytes_) {
    status_ = Close();
    if (!status_.ok()) return;
    ++part_;
    part_bytes_ = 0;
    Open();
    if (!status_.ok()) return;
  }
  buf_.append(line);
  buf_.push_back('\n');
  part_bytes_ += static_cast<int64_t>(line.size()) + 1;
  ++lines_;
  if (buf_.size() >= kBufferBytes) Flush();
}

Status RecordFile::Close() {
  if (stream_ != nullptr) {
    Flush();
    if (status_.ok()) status_ = stream_->Write({}, true);
    Status closed = stream_->Close();
    if (status_.ok()) status_ = std::move(closed);
    stream_.reset();
  }
  return status_;
}

}  // namespace gtops::demo
