// Record encoding: a compact, versioned byte format with bounds-checked decoding.
//
// Every stored value starts with a record version byte, then fields in a fixed order:
// unsigned integers as LEB128 varints, signed ones zig-zagged, strings length-prefixed,
// doubles as 8 little-endian bytes. Newer versions only append fields, so a reader may
// accept versions it knows and must refuse newer ones.
// Security: the store may be damaged or written by a different build; RecordReader never
// reads past its input and reports truncation instead of guessing.
// Thread-safety: value types.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace sendpool {

class RecordWriter {
 public:
  explicit RecordWriter(uint8_t version) { out_.push_back(static_cast<char>(version)); }

  RecordWriter& u64(uint64_t v);
  RecordWriter& i64(int64_t v);
  RecordWriter& boolean(bool v) { return u64(v ? 1 : 0); }
  RecordWriter& f64(double v);
  RecordWriter& str(std::string_view v);

  const std::string& bytes() const { return out_; }
  std::string take() { return std::move(out_); }

 private:
  std::string out_;
};

// Reads fields in order. The first failure sticks: later reads return zero values and ok()
// stays false, so a decoder can read every field and check once at the end.
class RecordReader {
 public:
  explicit RecordReader(std::string_view in);

  uint8_t version() const { return version_; }
  uint64_t u64();
  int64_t i64();
  bool boolean() { return u64() != 0; }
  double f64();
  std::string str();

  bool ok() const { return ok_; }
  // True when every byte was consumed and nothing failed.
  bool finished() const { return ok_ && pos_ == in_.size(); }
  // True when there is more to read (a newer minor layout appended fields).
  bool has_more() const { return ok_ && pos_ < in_.size(); }

 private:
  std::string_view in_;
  size_t pos_ = 0;
  uint8_t version_ = 0;
  bool ok_ = true;
};

// Keys: fixed-width big-endian integers sort in numeric order under LMDB's byte comparison.
std::string be64(uint64_t v);
uint64_t read_be64(std::string_view bytes);  // bytes.size() must be 8

}  // namespace sendpool
