// CPU-vs-CUDA parity suite (ctest: engine_gpu_tests). Every case of the op fixtures
// (tests/fixtures/ops/*.json, from tests/fixtures/make_op_fixtures.py) runs on the CPU and on
// cuda: outputs, in-place-updated inputs and the gradients of sum(out * upstream) must agree
// with each other and with PyTorch's values (float32 1e-4, float64 1e-10 relative, integers and
// bool exact), and stay on the device. Plan-executor train steps (small nets and the benchmark
// models) must give the same losses and parameters, and every optimizer and clipping config of
// tests/fixtures/optim/trajectories.json must follow PyTorch's 20-step trajectory; the train
// steps go through the product's path (a model built for the device, host batches uploaded
// with prefetch while the previous step runs). Registry completeness (every op runs on cuda:
// a CUDA implementation, or for a composite op all its parts) is checked without a device;
// the rest then skips (exit 77).
//
// usage: engine_gpu_tests [filter] [--device cuda:N|cpu] [--fixtures tests/fixtures] [--json FILE]
// (--device cpu runs the CPU against itself: a self-check of this harness without a GPU.)
// The device part runs in a child process (this binary with --worker) so that a crash or a
// sticky CUDA error in one op is reported as that op's failure and the suite goes on.
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <future>
#include <map>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "core/autograd.h"
#include "core/device.h"
#include "core/random.h"
#include "cuda/cuda.h"
#include "ops/ops.h"
#include "plan/model.h"
#include "plans.h"

using namespace nw;

namespace {

constexpr int kSkipCode = 77;     // ctest SKIP_RETURN_CODE
constexpr int kRestartCode = 3;   // worker: the device is unusable after a CUDA error; start a new process

// ---------------------------------------------------------------- JSON (strict, RFC 8259)

struct Json {
  enum Kind : uint8_t { Null, Bool, Number, String, Array, Object } kind = Null;
  bool b = false;
  double num = 0;
  std::string str;
  std::vector<Json> items;
  std::vector<std::pair<std::string, Json>> fields;
};

class JsonParser {
 public:
  JsonParser(const std::string& text, std::string where) : s_(text), where_(std::move(where)) {}
  Json parse() {
    Json v = value(0);
    ws();
    if (i_ != s_.size()) fail("unexpected text after the JSON value");
    return v;
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    throw std::runtime_error(where_ + ": byte " + std::to_string(i_) + ": " + what);
  }
  void ws() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == '\n' || s_[i_] == '\r')) ++i_;
  }
  bool eat(char c) {
    ws();
    if (i_ < s_.size() && s_[i_] == c) return ++i_, true;
    return false;
  }
  void expect(char c) {
    if (!eat(c)) fail(std::string("expected '") + c + "'");
  }
  bool word(const char* w) {
    size_t n = std::strlen(w);
    if (s_.compare(i_, n, w) != 0) return false;
    i_ += n;
    return true;
  }
  Json value(int depth) {
    if (depth > 64) fail("nested too deeply");
    ws();
    if (i_ >= s_.size()) fail("unexpected end of input");
    Json v;
    char c = s_[i_];
    if (c == '{') {
      ++i_;
      v.kind = Json::Object;
      if (eat('}')) return v;
      do {
        ws();
        if (i_ >= s_.size() || s_[i_] != '"') fail("expected a member name");
        std::string key = string();
        for (const auto& f : v.fields)
          if (f.first == key) fail("duplicate member '" + key + "'");
        expect(':');
        v.fields.emplace_back(std::move(key), value(depth + 1));
      } while (eat(','));
      expect('}');
    } else if (c == '[') {
      ++i_;
      v.kind = Json::Array;
      if (eat(']')) return v;
      do v.items.push_back(value(depth + 1));
      while (eat(','));
      expect(']');
    } else if (c == '"') {
      v.kind = Json::String;
      v.str = string();
    } else if (word("true")) {
      v.kind = Json::Bool;
      v.b = true;
    } else if (word("false")) {
      v.kind = Json::Bool;
    } else if (word("null")) {
      v.kind = Json::Null;
    } else {
      v.kind = Json::Number;
      v.num = number();
    }
    return v;
  }
  double number() {
    const size_t start = i_;
    auto digits = [&] {
      size_t d = i_;
      while (i_ < s_.size() && s_[i_] >= '0' && s_[i_] <= '9') ++i_;
      return i_ > d;
    };
    if (i_ < s_.size() && s_[i_] == '-') ++i_;
    if (i_ < s_.size() && s_[i_] == '0') ++i_;
    else if (!digits()) fail("bad value");
    if (i_ < s_.size() && s_[i_] == '.' && (++i_, !digits())) fail("bad number: digits expected after '.'");
    if (i_ < s_.size() && (s_[i_] == 'e' || s_[i_] == 'E')) {
      ++i_;
      if (i_ < s_.size() && (s_[i_] == '+' || s_[i_] == '-')) ++i_;
      if (!digits()) fail("bad number: digits expected in the exponent");
    }
    return std::strtod(s_.substr(start, i_ - start).c_str(), nullptr);
  }
  unsigned hex4() {
    if (i_ + 4 > s_.size()) fail("bad \\u escape");
    unsigned v = 0;
    for (int k = 0; k < 4; ++k) {
      char h = s_[i_++];
      v = v * 16 + (h >= '0' && h <= '9' ? h - '0' : h >= 'a' && h <= 'f' ? h - 'a' + 10 : h >= 'A' && h <= 'F' ? h - 'A' + 10 : 99);
      if (v > 0xffff) fail("bad \\u escape");
    }
    return v;
  }
  std::string string() {
    ++i_;  // opening quote
    std::string out;
    for (;;) {
      if (i_ >= s_.size()) fail("unterminated string");
      unsigned char c = static_cast<unsigned char>(s_[i_++]);
      if (c == '"') return out;
      if (c < 0x20) fail("control character in a string");
      if (c != '\\') {
        out += static_cast<char>(c);
        continue;
      }
      if (i_ >= s_.size()) fail("unterminated string");
      char e = s_[i_++];
      switch (e) {
        case '"': out += '"'; break;
        case '\\': out += '\\'; break;
        case '/': out += '/'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'u': {
          unsigned cp = hex4();
          if (cp >= 0xd800 && cp < 0xdc00) {
            if (!word("\\u")) fail("unpaired surrogate");
            unsigned lo = hex4();
            if (lo < 0xdc00 || lo >= 0xe000) fail("unpaired surrogate");
            cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
          }
          if (cp < 0x80) out += static_cast<char>(cp);
          else if (cp < 0x800) out += {static_cast<char>(0xc0 | cp >> 6), static_cast<char>(0x80 | (cp & 63))};
          else if (cp < 0x10000)
            out += {static_cast<char>(0xe0 | cp >> 12), static_cast<char>(0x80 | (cp >> 6 & 63)), static_cast<char>(0x80 | (cp & 63))};
          else
            out += {static_cast<char>(0xf0 | cp >> 18), static_cast<char>(0x80 | (cp >> 12 & 63)),
                    static_cast<char>(0x80 | (cp >> 6 & 63)), static_cast<char>(0x80 | (cp & 63))};
          break;
        }
        default: fail(std::string("bad escape \\") + e);
      }
    }
  }

  const std::string& s_;
  std::string where_;
  size_t i_ = 0;
};

// Typed access that names what was wrong (the fixtures are read strictly: an unknown member
// means the generator learnt something this reader does not, so it is an error).
[[noreturn]] void bad(const std::string& where, const std::string& what) { throw std::runtime_error(where + ": " + what); }
const Json& need(const Json& v, Json::Kind k, const std::string& where) {
  static const char* names[] = {"null", "a boolean", "a number", "a string", "an array", "an object"};
  if (v.kind != k) bad(where, std::string("expected ") + names[k] + ", got " + names[v.kind]);
  return v;
}
const Json* member(const Json& obj, const std::string& key) {
  for (const auto& f : obj.fields)
    if (f.first == key) return &f.second;
  return nullptr;
}
void only_members(const Json& obj, std::initializer_list<const char*> allowed, const std::string& where) {
  for (const auto& f : obj.fields)
    if (std::none_of(allowed.begin(), allowed.end(), [&](const char* a) { return f.first == a; }))
      bad(where, "unknown member '" + f.first + "'");
}
const Json& required(const Json& obj, const std::string& key, Json::Kind k, const std::string& where) {
  const Json* v = member(obj, key);
  if (!v) bad(where, "missing member '" + key + "'");
  return need(*v, k, where + "." + key);
}
bool integral(double d) { return std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 9.0e15; }

// ---------------------------------------------------------------- op fixtures

// One tensor of a case (see tests/unit/ops-harness.ts, TensorSpec).
struct TensorSpec {
  DType dtype = DType::Float32;
  Shape shape;
  std::vector<double> data;
  bool transposed = false;
  int64_t dim0 = 0, dim1 = 0;
  bool requires_grad = false;
};

struct OpCase {
  std::string op, name, dtype, file;
  std::vector<std::optional<TensorSpec>> inputs, outputs, upstream, grads;
  Attrs attrs;
  bool has_grads = false;
  std::string label() const { return op + " / " + name + " [" + dtype + "]"; }
};

Shape shape_of(const Json& v, const std::string& where) {
  Shape s;
  for (const auto& d : need(v, Json::Array, where).items) {
    if (need(d, Json::Number, where).num < 0 || !integral(d.num)) bad(where, "sizes must be non-negative integers");
    s.push_back(static_cast<int64_t>(d.num));
  }
  return s;
}

std::optional<TensorSpec> tensor_spec(const Json& v, const std::string& where) {
  if (v.kind == Json::Null) return std::nullopt;
  need(v, Json::Object, where);
  only_members(v, {"dtype", "shape", "data", "pattern", "transpose", "requiresGrad"}, where);
  TensorSpec t;
  t.dtype = dtype_from_name(required(v, "dtype", Json::String, where).str);
  t.shape = shape_of(required(v, "shape", Json::Array, where), where + ".shape");
  const int64_t n = shape_numel(t.shape);
  const Json* data = member(v, "data");
  const Json* pattern = member(v, "pattern");
  if ((data != nullptr) == (pattern != nullptr)) bad(where, "needs exactly one of 'data' and 'pattern'");
  if (data) {
    for (const auto& x : need(*data, Json::Array, where + ".data").items) {
      if (x.kind == Json::Number) t.data.push_back(x.num);
      else if (x.kind == Json::String && x.str == "nan") t.data.push_back(NAN);
      else if (x.kind == Json::String && x.str == "inf") t.data.push_back(INFINITY);
      else if (x.kind == Json::String && x.str == "-inf") t.data.push_back(-INFINITY);
      else bad(where + ".data", "elements must be numbers, 'nan', 'inf' or '-inf'");
    }
  } else {
    // Element i is ((i * 7919 + offset) % (2r + 1) - r) / scale.
    need(*pattern, Json::Object, where + ".pattern");
    only_members(*pattern, {"offset", "r", "scale"}, where + ".pattern");
    const double offset = required(*pattern, "offset", Json::Number, where).num;
    const double r = required(*pattern, "r", Json::Number, where).num;
    const double scale = required(*pattern, "scale", Json::Number, where).num;
    if (!integral(offset) || !integral(r) || offset < 0 || r < 0) bad(where, "pattern offset and r must be non-negative integers");
    for (int64_t i = 0; i < n; ++i) {
      const int64_t k = (i * 7919 + static_cast<int64_t>(offset)) % (2 * static_cast<int64_t>(r) + 1);
      t.data.push_back(static_cast<double>(k - static_cast<int64_t>(r)) / scale);
    }
  }
  if (static_cast<int64_t>(t.data.size()) != n)
    bad(where, std::to_string(t.data.size()) + " values for shape " + shape_str(t.shape));
  if (const Json* tr = member(v, "transpose")) {
    Shape dims = shape_of(*tr, where + ".transpose");
    if (dims.size() != 2) bad(where, "transpose needs two dims");
    t.transposed = true;
    t.dim0 = dims[0];
    t.dim1 = dims[1];
  }
  if (const Json* rg = member(v, "requiresGrad")) t.requires_grad = need(*rg, Json::Bool, where + ".requiresGrad").b;
  return t;
}

// The same conversion as the binding's to_attrs (native/src/binding/tensor.cpp), so a case
// sees the attributes the TypeScript test gives the engine.
Attrs attrs_of(const Json& v, const std::string& where) {
  Attrs at;
  for (const auto& [key, x] : need(v, Json::Object, where).fields) {
    const std::string w = where + "." + key;
    if (x.kind == Json::Bool) at.set(key, x.b);
    else if (x.kind == Json::Number) integral(x.num) ? at.set(key, static_cast<int64_t>(x.num)) : at.set(key, x.num);
    else if (x.kind == Json::String) at.set(key, x.str);
    else if (x.kind == Json::Array) {
      std::vector<int64_t> ints;
      std::vector<double> dbls;
      bool all_int = true;
      for (const auto& e : x.items) {
        double d = need(e, Json::Number, w).num;
        dbls.push_back(d);
        if (d != std::floor(d)) all_int = false;
        ints.push_back(static_cast<int64_t>(d));
      }
      all_int ? at.set(key, ints) : at.set(key, dbls);
    } else if (x.kind != Json::Null) {
      bad(w, "unsupported attribute type");
    }
  }
  return at;
}

std::vector<std::optional<TensorSpec>> spec_list(const Json& v, const std::string& where) {
  std::vector<std::optional<TensorSpec>> out;
  const auto& items = need(v, Json::Array, where).items;
  for (size_t i = 0; i < items.size(); ++i) out.push_back(tensor_spec(items[i], where + "[" + std::to_string(i) + "]"));
  return out;
}

std::vector<OpCase> load_cases(const std::string& dir) {  // tests/fixtures/ops
  namespace fs = std::filesystem;
  std::vector<std::string> files;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec))
    if (e.path().extension() == ".json") files.push_back(e.path().string());
  if (ec) throw std::runtime_error("cannot read the op fixtures in " + dir + ": " + ec.message() + " (pass --fixtures <repo>/tests/fixtures)");
  if (files.empty()) throw std::runtime_error("no op fixtures (*.json) in " + dir + " (pass --fixtures <repo>/tests/fixtures)");
  std::sort(files.begin(), files.end());
  std::vector<OpCase> cases;
  for (const auto& path : files) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    if (!in) throw std::runtime_error("cannot read " + path);
    const std::string file = fs::path(path).filename().string();
    const Json root = JsonParser(ss.str(), file).parse();
    need(root, Json::Object, file);
    only_members(root, {"generator", "torch", "cases"}, file);
    const auto& list = required(root, "cases", Json::Array, file).items;
    for (size_t k = 0; k < list.size(); ++k) {
      const std::string w = file + ": cases[" + std::to_string(k) + "]";
      const Json& c = need(list[k], Json::Object, w);
      only_members(c, {"op", "name", "dtype", "inputs", "attrs", "outputs", "upstream", "grads", "gradcheck"}, w);
      OpCase oc;
      oc.file = file;
      oc.op = required(c, "op", Json::String, w).str;
      oc.name = required(c, "name", Json::String, w).str;
      oc.dtype = required(c, "dtype", Json::String, w).str;
      oc.inputs = spec_list(required(c, "inputs", Json::Array, w), w + ".inputs");
      oc.outputs = spec_list(required(c, "outputs", Json::Array, w), w + ".outputs");
      oc.attrs = attrs_of(required(c, "attrs", Json::Object, w), w + ".attrs");
      const Json* up = member(c, "upstream");
      const Json* gr = member(c, "grads");
      if ((up != nullptr) != (gr != nullptr)) bad(w, "'upstream' and 'grads' come together");
      if (up) {
        oc.has_grads = true;
        oc.upstream = spec_list(*up, w + ".upstream");
        oc.grads = spec_list(*gr, w + ".grads");
        if (oc.upstream.size() != oc.outputs.size()) bad(w, "one upstream entry per output expected");
        if (oc.grads.size() != oc.inputs.size()) bad(w, "one grads entry per input expected");
        for (size_t i = 0; i < oc.grads.size(); ++i)
          if (oc.grads[i].has_value() != (oc.inputs[i].has_value() && oc.inputs[i]->requires_grad))
            bad(w, "grads[" + std::to_string(i) + "] must be given exactly for the inputs with requiresGrad");
      }
      if (!find_op(oc.op)) bad(w, "unknown op '" + oc.op + "'");
      cases.push_back(std::move(oc));
    }
  }
  return cases;
}

// ---------------------------------------------------------------- tensors and comparison

Tensor make_tensor(const TensorSpec& s, Device device) {
  const size_t n = s.data.size();
  return NW_DISPATCH_ALL(s.dtype, [&] {
    // Like the TS harness's typed arrays: bool values are stored as 0/1 bytes.
    using Host = std::conditional_t<std::is_same_v<scalar_t, bool>, uint8_t, scalar_t>;
    std::vector<Host> buf(n);
    for (size_t i = 0; i < n; ++i) buf[i] = static_cast<Host>(s.data[i]);
    return from_blob_copy(buf.data(), s.shape, s.dtype, device);
  });
}

struct HostTensor {
  DType dtype = DType::Float32;
  Shape shape;
  Device device;
  std::vector<double> values;
};

HostTensor to_host(const Tensor& t) {
  HostTensor h{t.dtype(), t.sizes(), t.device(), {}};
  Tensor c = to_device(t, Device{}).contiguous();
  h.values.resize(static_cast<size_t>(c.numel()));
  NW_DISPATCH_ALL(c.dtype(), [&] {
    const scalar_t* p = c.data<scalar_t>();
    for (size_t i = 0; i < h.values.size(); ++i) h.values[i] = static_cast<double>(p[i]);
  });
  return h;
}

// float32 1e-4, float64 1e-10 relative to max(1, |expected|); integers and bool exact.
double tolerance(DType dt) { return dt == DType::Float32 ? 1e-4 : dt == DType::Float64 ? 1e-10 : 0.0; }

std::string fmt(double v, int digits = 9) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.*g", digits, v);
  return buf;
}

// A description of how `got` differs from (dtype, shape, want), or "" when it matches.
std::string mismatch(const HostTensor& got, DType dtype, const Shape& shape, const std::vector<double>& want, const std::string& what) {
  if (got.dtype != dtype) return what + ": dtype " + dtype_name(got.dtype) + ", expected " + dtype_name(dtype);
  if (got.shape != shape) return what + ": shape " + shape_str(got.shape) + ", expected " + shape_str(shape);
  const double tol = tolerance(dtype);
  double worst = 0;
  int shown = 0;
  std::string where;
  for (size_t i = 0; i < want.size(); ++i) {
    const double x = got.values[i], y = want[i];
    if (std::isnan(y) ? std::isnan(x) : x == y) continue;
    const double err = std::fabs(x - y) / std::max(1.0, std::fabs(y));
    if (err <= tol) continue;
    worst = std::max(worst, std::isnan(err) ? INFINITY : err);
    const int digits = dtype == DType::Float64 ? 17 : 9;
    if (shown++ < 4) where += std::string(shown > 1 ? ", " : "") + "[" + std::to_string(i) + "] " + fmt(x, digits) + " vs " + fmt(y, digits);
  }
  if (!shown) return "";
  char head[96];
  std::snprintf(head, sizeof head, ": %d of %zu values differ, worst relative error %.3g > %g at ", shown, want.size(), worst, tol);
  return what + head + where;
}

std::string mismatch(const HostTensor& got, const TensorSpec& want, const std::string& what) {
  return mismatch(got, want.dtype, want.shape, want.data, what);
}
std::string mismatch(const HostTensor& got, const HostTensor& want, const std::string& what) {
  return mismatch(got, want.dtype, want.shape, want.values, what);
}

// ---------------------------------------------------------------- one op case on one device

struct CaseRun {
  TensorList leaves, outputs, grads;  // grads: one per input (undefined where none was asked)
  std::string code, message;          // set when the run threw
};

CaseRun run_case(const OpCase& c, Device device) {
  CaseRun r;
  try {
    TensorList inputs;
    for (const auto& s : c.inputs) {
      if (!s) {
        r.leaves.emplace_back();
        inputs.emplace_back();
        continue;
      }
      Tensor leaf = make_tensor(*s, device);
      if (c.has_grads && s->requires_grad) leaf.set_requires_grad(true);
      r.leaves.push_back(leaf);
      inputs.push_back(s->transposed ? ops::transpose(leaf, s->dim0, s->dim1) : leaf);
    }
    r.outputs = call_op(c.op, inputs, c.attrs);
    if (!c.has_grads) return r;
    TensorList outs, ups;
    for (size_t i = 0; i < c.upstream.size(); ++i) {
      if (!c.upstream[i]) continue;
      NW_CHECK(i < r.outputs.size() && r.outputs[i].defined(), "E_TEST", "output " + std::to_string(i) + " is missing");
      outs.push_back(r.outputs[i]);
      ups.push_back(make_tensor(*c.upstream[i], device));
    }
    NW_CHECK(!outs.empty(), "E_TEST", "the fixture has gradients but no upstream gradient");
    if (outs.size() == 1) {
      backward(outs, ups);
    } else {  // several outputs (split): one root, sum_i sum(out_i * up_i)
      Tensor total;
      for (size_t i = 0; i < outs.size(); ++i) {
        Tensor term = ops::sum(ops::mul(outs[i], ups[i]));
        total = total.defined() ? ops::add(total, term) : term;
      }
      backward({total}, {});
    }
    for (size_t i = 0; i < c.grads.size(); ++i) r.grads.push_back(c.grads[i] ? r.leaves[i].grad() : Tensor());
  } catch (const Error& e) {
    r.code = e.code;
    r.message = e.what();
  } catch (const std::exception& e) {
    r.code = "E_EXCEPTION";
    r.message = e.what();
  }
  return r;
}

enum class Verdict { Pass, Fail, Unsupported };

Verdict check_case(const OpCase& c, Device cuda, std::vector<std::string>& problems, bool& cuda_error) {
  const bool supported = supports(c.op, cuda);
  CaseRun cpu = run_case(c, Device{});
  CaseRun gpu = run_case(c, cuda);
  if (gpu.code == "E_CUDA") cuda_error = true;
  if (!supported) {
    if (gpu.code == "E_UNSUPPORTED") return Verdict::Unsupported;
    problems.push_back("supports() says no, but the cuda run gave " + (gpu.code.empty() ? "no error" : gpu.code + ": " + gpu.message) +
                       " instead of E_UNSUPPORTED");
    return Verdict::Fail;
  }
  if (!cpu.code.empty()) problems.push_back("the CPU run failed (" + cpu.code + ": " + cpu.message + "), nothing to compare with");
  if (!gpu.code.empty()) problems.push_back("cuda: " + gpu.code + ": " + gpu.message);
  if (!problems.empty()) return Verdict::Fail;

  const bool moves = find_op(c.op)->cross_device;  // to_device: its output is where it was asked to go
  auto compare = [&](const Tensor& g, const Tensor& ref, const TensorSpec* spec, const std::string& what, bool on_device) {
    if (!g.defined()) return problems.push_back(what + ": missing on cuda");
    HostTensor hg = to_host(g);
    if (on_device && hg.device != cuda) problems.push_back(what + ": on " + hg.device.str() + ", expected " + cuda.str());
    if (spec) {
      std::string m = mismatch(hg, *spec, what + " vs PyTorch");
      if (!m.empty()) problems.push_back(m);
    }
    if (ref.defined()) {
      std::string m = mismatch(hg, to_host(ref), what + " vs CPU");
      if (!m.empty()) problems.push_back(m);
    }
  };
  if (gpu.outputs.size() != c.outputs.size())
    problems.push_back(std::to_string(gpu.outputs.size()) + " outputs, expected " + std::to_string(c.outputs.size()));
  for (size_t i = 0; i < c.outputs.size() && i < gpu.outputs.size(); ++i)
    if (c.outputs[i]) compare(gpu.outputs[i], i < cpu.outputs.size() ? cpu.outputs[i] : Tensor(), &*c.outputs[i],
                              "output " + std::to_string(i), !moves);
  // Inputs after the op: in-place updates (batch_norm's running statistics) must agree too.
  for (size_t i = 0; i < gpu.leaves.size(); ++i)
    if (gpu.leaves[i].defined()) compare(gpu.leaves[i], cpu.leaves[i], nullptr, "input " + std::to_string(i) + " after the op", true);
  for (size_t i = 0; i < c.grads.size(); ++i) {
    if (!c.grads[i]) continue;
    // An input the outputs do not depend on: torch gives zeros, the engine may give nothing.
    const TensorSpec& s = *c.grads[i];
    Tensor g = gpu.grads[i].defined() ? gpu.grads[i] : zeros(s.shape, s.dtype, cuda);
    Tensor ref = cpu.grads[i].defined() ? cpu.grads[i] : zeros(s.shape, s.dtype);
    compare(g, ref, &s, "grad of input " + std::to_string(i), true);
  }
  return problems.empty() ? Verdict::Pass : Verdict::Fail;
}

// ---------------------------------------------------------------- Plan-executor train steps

struct Batch {
  TensorList inputs, targets;
};

struct PlanCase {
  std::string name;
  std::function<PlanSpec()> plan;
  std::function<Batch(int step)> batch;  // CPU tensors, the same for both devices
  OptimizerConfig optimizer;
  StepOptions options;
  int steps = 3;
};

Tensor uniform_data(const Shape& shape, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> u(0.f, 1.f);
  std::vector<float> v(static_cast<size_t>(shape_numel(shape)));
  for (auto& x : v) x = u(rng);
  return from_blob_copy(v.data(), shape, DType::Float32);
}
Tensor class_data(const Shape& shape, int64_t classes, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int64_t> u(0, classes - 1);
  std::vector<int64_t> v(static_cast<size_t>(shape_numel(shape)));
  for (auto& x : v) x = u(rng);
  return from_blob_copy(v.data(), shape, DType::Int64);
}

OptimizerConfig sgd(double lr, double momentum) {
  OptimizerConfig c;
  c.kind = "sgd";
  c.lr = lr;
  c.momentum = momentum;
  return c;
}
OptimizerConfig adam(double lr) {
  OptimizerConfig c;
  c.kind = "adam";
  c.lr = lr;
  return c;
}

std::vector<PlanCase> plan_cases() {
  using nwplans::PlanBuilder;
  auto mlp = [] {
    PlanBuilder b;
    b.input("x", DType::Float32).linear("fc1", 12, 16).relu("relu1").linear("fc2", 16, 5);
    return b.cross_entropy();
  };
  auto convnet = [] {
    PlanBuilder b;
    b.input("x", DType::Float32).conv2d("conv1", 2, 4, 3, 1).relu("relu1").max_pool2d("pool1", 2).batch_norm("bn1", 4);
    b.flatten("flatten1").linear("fc1", 64, 3);
    return b.cross_entropy();
  };
  auto images = [](int64_t n, int64_t c, int64_t hw, int64_t classes) {
    return [=](int step) { return Batch{{uniform_data({n, c, hw, hw}, 100 + step)}, {class_data({n}, classes, 200 + step)}}; };
  };
  auto tokens = [](int64_t n, int64_t seq, int64_t vocab) {
    return [=](int step) { return Batch{{class_data({n, seq}, vocab, 300 + step)}, {class_data({n, seq}, vocab, 400 + step)}}; };
  };
  auto features = [](int step) { return Batch{{uniform_data({8, 12}, 500 + step)}, {class_data({8}, 5, 600 + step)}}; };
  StepOptions clip;
  clip.clip_norm = 1.0;
  return {
      {"mlp sgd", mlp, features, sgd(0.1, 0.9), {}},
      {"mlp adam", mlp, features, adam(1e-3), {}},
      {"convnet sgd", convnet, images(6, 2, 8, 3), sgd(0.1, 0.9), {}},
      {"convnet adam", convnet, images(6, 2, 8, 3), adam(1e-3), {}},
      {"small char-lstm sgd, clip_grad_norm", [] { return nwplans::charlstm(11, 6, 8, 2); }, tokens(3, 5, 11), sgd(0.5, 0), clip},
      {"small char-lstm adam, clip_grad_norm", [] { return nwplans::charlstm(11, 6, 8, 2); }, tokens(3, 5, 11), adam(2e-3), clip},
      // The benchmark models at their benchmark shapes (SGD: Adam's sign-like first steps
      // would amplify float noise in the many near-zero gradients of a big model).
      {"lenet (benchmark shapes)", nwplans::lenet, images(64, 1, 28, 10), sgd(0.05, 0.9), {}},
      {"convbn (benchmark shapes, dropout 0)", [] { return nwplans::convbn(0.0); }, images(64, 1, 28, 10), sgd(0.05, 0.9), {}},
      {"char-lstm (benchmark shapes), clip_grad_norm", [] { return nwplans::charlstm(96, 64, 256, 2); }, tokens(32, 64, 96),
       sgd(1.0, 0), clip},
  };
}

struct Trace {
  std::vector<StepResult> steps;
  std::vector<std::pair<std::string, Tensor>> state;
  TensorList predicted;
};

// Trains as the app's trainer does (main/trainer/run.ts, BatchPipe): the model is built for
// the device (initialised on the CPU generator, then moved), batches are host tensors, each
// step runs on a worker thread while the next batch's upload is queued (Model::prefetch: the
// copy stream on cuda, nothing on the CPU).
Trace train(const PlanCase& pc, Device device) {
  manual_seed(0);  // the same initial weights on both devices
  Model model(pc.plan(), device);
  model.configure_optimizer(pc.optimizer);
  std::vector<Batch> batches;
  for (int s = 0; s < pc.steps; ++s) batches.push_back(pc.batch(s));
  Trace tr;
  model.prefetch(batches[0].inputs, batches[0].targets);
  for (size_t s = 0; s < batches.size(); ++s) {
    std::future<StepResult> step =
        std::async(std::launch::async, [&, s] { return model.train_step(batches[s].inputs, batches[s].targets, pc.options); });
    // (If prefetch throws, the future's destructor waits for the step before the frame goes.)
    if (s + 1 < batches.size()) model.prefetch(batches[s + 1].inputs, batches[s + 1].targets);
    tr.steps.push_back(step.get());
  }
  tr.predicted = model.predict(pc.batch(0).inputs);
  tr.state = model.state_dict();
  return tr;
}

bool check_plan(const PlanCase& pc, Device cuda, std::vector<std::string>& problems, bool& cuda_error) {
  Trace cpu, gpu;
  try {
    cpu = train(pc, Device{});
  } catch (const std::exception& e) {
    problems.push_back(std::string("the CPU run failed: ") + e.what());
    return false;
  }
  try {
    gpu = train(pc, cuda);
  } catch (const Error& e) {
    if (e.code == "E_CUDA") cuda_error = true;
    problems.push_back("cuda: " + e.code + ": " + e.what());
    return false;
  } catch (const std::exception& e) {
    problems.push_back(std::string("cuda: ") + e.what());
    return false;
  }
  auto near = [](double x, double y) { return std::fabs(x - y) <= 1e-4 * std::max(1.0, std::fabs(y)); };
  for (size_t s = 0; s < gpu.steps.size(); ++s) {
    const StepResult &g = gpu.steps[s], &c = cpu.steps[s];
    const std::string at = "step " + std::to_string(s + 1) + ": ";
    if (g.finite != c.finite) problems.push_back(at + "finite " + std::to_string(g.finite) + " on cuda, " + std::to_string(c.finite) + " on the CPU");
    if (!near(g.loss, c.loss)) problems.push_back(at + "loss " + fmt(g.loss) + " on cuda, " + fmt(c.loss) + " on the CPU");
    if (g.correct != c.correct) problems.push_back(at + "correct " + std::to_string(g.correct) + " on cuda, " + std::to_string(c.correct) + " on the CPU");
    if (!near(g.total_grad_norm, c.total_grad_norm))
      problems.push_back(at + "total gradient norm " + fmt(g.total_grad_norm) + " on cuda, " + fmt(c.total_grad_norm) + " on the CPU");
  }
  auto compare = [&](const Tensor& g, const Tensor& c, const std::string& what) {
    HostTensor hg = to_host(g);
    if (hg.device != cuda) problems.push_back(what + ": on " + hg.device.str() + ", expected " + cuda.str());
    std::string m = mismatch(hg, to_host(c), what);
    if (!m.empty()) problems.push_back(m);
  };
  for (size_t i = 0; i < gpu.state.size(); ++i) compare(gpu.state[i].second, cpu.state[i].second, gpu.state[i].first + " after training");
  for (size_t i = 0; i < gpu.predicted.size(); ++i) compare(gpu.predicted[i], cpu.predicted[i], "predict output " + std::to_string(i));
  return problems.empty();
}

// ---------------------------------------------------------------- optimizer trajectories

// tests/fixtures/optim/trajectories.json (tests/fixtures/make_optim_fixtures.py): 20 steps of
// each torch.optim config, with clipping, on Linear(4, 3) + MSE in float64.
struct OptimCase {
  std::string name;
  OptimizerConfig config;
  StepOptions options;
  std::vector<double> losses;
  std::vector<std::vector<double>> weights, biases;  // after each step
};
struct OptimFixture {
  std::vector<double> x, y, weight, bias;
  std::vector<OptimCase> cases;
};

std::vector<double> numbers(const Json& v, const std::string& where) {
  std::vector<double> out;
  for (const auto& x : need(v, Json::Array, where).items) out.push_back(need(x, Json::Number, where).num);
  return out;
}

OptimFixture load_trajectories(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  if (!in) throw std::runtime_error("cannot read " + path + " (pass --fixtures <repo>/tests/fixtures)");
  const std::string w = "trajectories.json";
  const Json root = JsonParser(ss.str(), w).parse();
  need(root, Json::Object, w);
  only_members(root, {"x", "y", "weight", "bias", "cases"}, w);
  OptimFixture f{numbers(required(root, "x", Json::Array, w), w + ".x"), numbers(required(root, "y", Json::Array, w), w + ".y"),
                 numbers(required(root, "weight", Json::Array, w), w + ".weight"),
                 numbers(required(root, "bias", Json::Array, w), w + ".bias"), {}};
  if (f.x.size() != 32 || f.y.size() != 24 || f.weight.size() != 12 || f.bias.size() != 3) bad(w, "expected x [8, 4], y [8, 3], weight [3, 4], bias [3]");
  const auto& list = required(root, "cases", Json::Array, w).items;
  for (size_t k = 0; k < list.size(); ++k) {
    const std::string cw = w + ": cases[" + std::to_string(k) + "]";
    need(list[k], Json::Object, cw);
    only_members(list[k], {"optimizer", "clip", "steps"}, cw);
    OptimCase oc;
    // The binding's ConfigureOptimizer (native/src/binding/model.cpp): same names and defaults.
    const Json& o = required(list[k], "optimizer", Json::Object, cw);
    only_members(o, {"kind", "lr", "momentum", "dampening", "weightDecay", "nesterov", "maximize", "beta1", "beta2", "eps", "amsgrad",
                     "alpha", "centered"}, cw + ".optimizer");
    auto num = [&](const char* key, double def) { const Json* v = member(o, key); return v ? need(*v, Json::Number, cw + "." + key).num : def; };
    auto flag = [&](const char* key) { const Json* v = member(o, key); return v && need(*v, Json::Bool, cw + "." + key).b; };
    OptimizerConfig& c = oc.config;
    c.kind = required(o, "kind", Json::String, cw).str;
    c.lr = num("lr", c.lr), c.momentum = num("momentum", 0), c.dampening = num("dampening", 0);
    c.weight_decay = num("weightDecay", c.kind == "adamw" ? 0.01 : 0.0);
    c.nesterov = flag("nesterov"), c.maximize = flag("maximize"), c.amsgrad = flag("amsgrad"), c.centered = flag("centered");
    c.beta1 = num("beta1", 0.9), c.beta2 = num("beta2", 0.999), c.eps = num("eps", 1e-8), c.alpha = num("alpha", 0.99);
    const Json& clip = required(list[k], "clip", Json::Object, cw);
    only_members(clip, {"clip_norm", "clip_value"}, cw + ".clip");
    if (const Json* v = member(clip, "clip_norm")) oc.options.clip_norm = need(*v, Json::Number, cw).num;
    if (const Json* v = member(clip, "clip_value")) oc.options.clip_value = need(*v, Json::Number, cw).num;
    for (const auto& st : required(list[k], "steps", Json::Array, cw).items) {
      need(st, Json::Object, cw + ".steps");
      only_members(st, {"loss", "weight", "bias"}, cw + ".steps");
      oc.losses.push_back(required(st, "loss", Json::Number, cw).num);
      oc.weights.push_back(numbers(required(st, "weight", Json::Array, cw), cw + ".weight"));
      oc.biases.push_back(numbers(required(st, "bias", Json::Array, cw), cw + ".bias"));
    }
    oc.name = c.kind + " #" + std::to_string(k) + (oc.options.clip_norm > 0 ? ", clip_grad_norm" : "") +
              (oc.options.clip_value > 0 ? ", clip_grad_value" : "");
    f.cases.push_back(std::move(oc));
  }
  return f;
}

struct OptimTrace {
  std::vector<double> losses;
  std::vector<HostTensor> weights, biases;
};

// The TypeScript optimizer test's Plan (tests/unit/optim.test.ts): linear then mse_loss, float64.
OptimTrace run_trajectory(const OptimFixture& f, const OptimCase& oc, Device device) {
  PlanSpec spec;
  spec.dtype = DType::Float64;
  spec.inputs = {{"x", DType::Float64}};
  spec.targets = {{"y", DType::Float64}};
  for (auto [key, shape] : std::vector<std::pair<std::string, Shape>>{{"fc.weight", {3, 4}}, {"fc.bias", {3}}}) {
    PlanTensorSpec t;
    t.key = key, t.shape = shape, t.dtype = DType::Float64;
    spec.tensors.push_back(t);
  }
  spec.steps = {{"linear", "fc", {"x"}, {"fc.weight", "fc.bias"}, {"out"}, {}},
                {"mse_loss", "loss", {"out", "y"}, {}, {"loss"}, {{"reduction", std::string("mean")}}}};
  spec.outputs = {"out"};
  spec.loss = "loss";
  Model model(spec, device);
  model.load_tensor("fc.weight", from_blob_copy(f.weight.data(), {3, 4}, DType::Float64));
  model.load_tensor("fc.bias", from_blob_copy(f.bias.data(), {3}, DType::Float64));
  model.configure_optimizer(oc.config);
  // Host tensors, staged before each step (the same batch every step, as the TypeScript test).
  const Tensor x = from_blob_copy(f.x.data(), {8, 4}, DType::Float64);
  const Tensor y = from_blob_copy(f.y.data(), {8, 3}, DType::Float64);
  OptimTrace tr;
  for (size_t s = 0; s < oc.losses.size(); ++s) {
    model.prefetch({x}, {y});
    tr.losses.push_back(model.train_step({x}, {y}, oc.options).loss);
    auto sd = model.state_dict();
    tr.weights.push_back(to_host(sd[0].second));
    tr.biases.push_back(to_host(sd[1].second));
  }
  return tr;
}

bool check_trajectory(const OptimFixture& f, const OptimCase& oc, Device cuda, std::vector<std::string>& problems, bool& cuda_error) {
  OptimTrace cpu, gpu;
  try {
    cpu = run_trajectory(f, oc, Device{});
    gpu = run_trajectory(f, oc, cuda);
  } catch (const Error& e) {
    if (e.code == "E_CUDA") cuda_error = true;
    problems.push_back(e.code + ": " + e.what());
    return false;
  } catch (const std::exception& e) {
    problems.push_back(e.what());
    return false;
  }
  for (size_t s = 0; s < oc.losses.size() && problems.size() < 4; ++s) {
    const std::string at = "step " + std::to_string(s + 1) + " ";
    HostTensor loss{DType::Float64, {}, cuda, {gpu.losses[s]}};
    for (const auto& m : {mismatch(loss, DType::Float64, {}, {oc.losses[s]}, at + "loss vs PyTorch"),
                          mismatch(loss, DType::Float64, {}, {cpu.losses[s]}, at + "loss vs CPU"),
                          mismatch(gpu.weights[s], DType::Float64, {3, 4}, oc.weights[s], at + "weight vs PyTorch"),
                          mismatch(gpu.weights[s], cpu.weights[s], at + "weight vs CPU"),
                          mismatch(gpu.biases[s], DType::Float64, {3}, oc.biases[s], at + "bias vs PyTorch"),
                          mismatch(gpu.biases[s], cpu.biases[s], at + "bias vs CPU")})
      if (!m.empty()) problems.push_back(m);
    if (gpu.weights[s].device != cuda || gpu.biases[s].device != cuda) problems.push_back(at + "parameters left " + cuda.str());
  }
  return problems.empty();
}

// ---------------------------------------------------------------- units (what one worker step runs)

struct Unit {
  std::string name;  // "op:<name>", "plan:<name>", "optim:<name>", "errors"
  std::vector<const OpCase*> cases;
  const PlanCase* plan = nullptr;
  const OptimCase* optim = nullptr;
};

struct Suite {
  std::vector<OpCase> cases;
  std::vector<PlanCase> plans;
  OptimFixture optim;
  std::vector<Unit> units;
};

void build_suite(Suite& s, const std::string& fixtures, const std::string& filter) {
  s.cases = load_cases(fixtures + "/ops");
  s.plans = plan_cases();
  s.optim = load_trajectories(fixtures + "/optim/trajectories.json");
  std::map<std::string, std::vector<const OpCase*>> by_op;
  for (const auto& c : s.cases) by_op[c.op].push_back(&c);
  auto keep = [&](const std::string& name) { return filter.empty() || name.find(filter) != std::string::npos; };
  if (keep("errors")) s.units.push_back({"errors", {}, nullptr, nullptr});
  for (const OpDef* op : op_table()) {  // table order: the engine's families
    auto it = by_op.find(op->name);
    if (it != by_op.end() && keep(std::string("op:") + op->name))
      s.units.push_back({std::string("op:") + op->name, it->second, nullptr, nullptr});
  }
  for (const auto& p : s.plans)
    if (keep("plan:" + p.name)) s.units.push_back({"plan:" + p.name, {}, &p, nullptr});
  for (const auto& o : s.optim.cases)
    if (keep("optim:" + o.name)) s.units.push_back({"optim:" + o.name, {}, nullptr, &o});
}

// Which summary line a unit counts in.
bool is_train_unit(const std::string& name) { return name.rfind("plan:", 0) == 0 || name.rfind("optim:", 0) == 0; }

struct Counts {
  int passed = 0, failed = 0, unsupported = 0;
};

void print_problems(const std::string& head, const std::vector<std::string>& problems) {
  std::printf("  FAIL %s\n", head.c_str());
  for (size_t i = 0; i < problems.size() && i < 6; ++i) std::printf("         %s\n", problems[i].c_str());
  if (problems.size() > 6) std::printf("         (%zu more)\n", problems.size() - 6);
}

// Runtime errors with a clear code; checked with a device present.
Counts run_error_checks(Device cuda) {
  Counts n;
  auto expect = [&](const char* what, const char* code, const std::function<void()>& fn) {
    std::string got = "no error";
    try {
      fn();
    } catch (const Error& e) {
      got = e.code + ": " + e.what();
      if (e.code == code) return void(++n.passed);
    }
    ++n.failed;
    print_problems(what, {std::string("expected ") + code + ", got " + got});
  };
  expect("mixed-device inputs give E_DEVICE", "E_DEVICE", [&] {
    float v[2] = {1, 2};
    call_op("add", {from_blob_copy(v, {2}, DType::Float32), from_blob_copy(v, {2}, DType::Float32, cuda)});
  });
  expect("a device that does not exist gives E_DEVICE", "E_DEVICE",
         [&] { empty({1}, DType::Float32, Device{DeviceType::CUDA, cuda::device_count()}); });
  return n;
}

// Whether the device still works after a CUDA error (an illegal address makes every later call fail).
bool device_healthy(Device cuda) {
  try {
    float one = 1.f;
    return read_scalar(from_blob_copy(&one, {1}, DType::Float32, cuda), 0) == 1.0;
  } catch (...) {
    return false;
  }
}

// Worker: runs units [from, end) on the device, one "@@begin i" / "@@result i p f u" pair each.
int worker(const Suite& s, size_t from, Device cuda) {
  setvbuf(stdout, nullptr, _IOLBF, 0);
  for (size_t u = from; u < s.units.size(); ++u) {
    const Unit& unit = s.units[u];
    std::printf("@@begin %zu\n", u);
    Counts n;
    bool cuda_error = false;
    if (unit.name == "errors") {
      if (cuda.type == DeviceType::CUDA) n = run_error_checks(cuda);
    } else if (unit.plan || unit.optim) {
      std::vector<std::string> problems;
      const bool ok = unit.plan ? check_plan(*unit.plan, cuda, problems, cuda_error)
                                : check_trajectory(s.optim, *unit.optim, cuda, problems, cuda_error);
      (ok ? n.passed : n.failed)++;
      if (ok) std::printf("ok      %s\n", unit.name.c_str());
      else print_problems(unit.name, problems);
    } else {
      for (const OpCase* c : unit.cases) {
        std::vector<std::string> problems;
        Verdict v = check_case(*c, cuda, problems, cuda_error);
        if (v == Verdict::Pass) ++n.passed;
        else if (v == Verdict::Unsupported) ++n.unsupported;
        else ++n.failed, print_problems(c->label(), problems);
      }
      if (n.unsupported) std::printf("MISSING %s: not supported on %s (E_UNSUPPORTED, as supports() says)\n", unit.name.c_str(), cuda.str().c_str());
      else if (!n.failed) std::printf("ok      %s (%d cases)\n", unit.name.c_str(), n.passed);
      else std::printf("FAIL    %s: %d of %zu cases\n", unit.name.c_str(), n.failed, unit.cases.size());
    }
    std::printf("@@result %zu %d %d %d\n", u, n.passed, n.failed, n.unsupported);
    std::fflush(stdout);
    if (cuda_error && !device_healthy(cuda)) {
      std::printf("the device is unusable after a CUDA error in %s; going on in a new process\n", unit.name.c_str());
      return kRestartCode;
    }
  }
  return 0;
}

// ---------------------------------------------------------------- parent

std::string describe_exit(int status) {
  if (WIFSIGNALED(status)) return std::string("crashed: signal ") + std::to_string(WTERMSIG(status)) + " (" + strsignal(WTERMSIG(status)) + ")";
  if (WIFEXITED(status)) return "exited with code " + std::to_string(WEXITSTATUS(status));
  return "ended";
}

std::string json_string(const std::string& s) {
  std::string o = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') o += '\\', o += static_cast<char>(c);
    else if (c < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      o += buf;
    } else o += static_cast<char>(c);
  }
  return o + "\"";
}

struct Summary {
  std::string device, status;
  Counts cases, plans, checks;
  std::vector<std::string> missing, failures, crashed;
};

void write_json(const std::string& path, const Summary& s) {
  if (path.empty()) return;
  auto list = [](const std::vector<std::string>& v) {
    std::string o = "[";
    for (size_t i = 0; i < v.size(); ++i) o += (i ? "," : "") + json_string(v[i]);
    return o + "]";
  };
  std::ofstream f(path);
  f << "{\"device\":" << json_string(s.device) << ",\"status\":" << json_string(s.status) << ",\"cases\":{\"passed\":" << s.cases.passed
    << ",\"failed\":" << s.cases.failed << ",\"unsupported\":" << s.cases.unsupported << "},\"plans\":{\"passed\":" << s.plans.passed
    << ",\"failed\":" << s.plans.failed << "},\"checks\":{\"passed\":" << s.checks.passed << ",\"failed\":" << s.checks.failed
    << "},\"missing_ops\":" << list(s.missing) << ",\"crashed\":" << list(s.crashed) << ",\"failures\":" << list(s.failures) << "}\n";
}

// Runs every unit in worker processes, restarting after a crash, a hang or a dead device.
void run_workers(const Suite& suite, const std::vector<std::string>& pass_args, Summary& sum) {
  const char* env_timeout = std::getenv("NW_GPU_PARITY_UNIT_TIMEOUT");
  const double timeout_s = env_timeout ? std::atof(env_timeout) : 600.0;
  size_t next = 0;
  while (next < suite.units.size()) {
    int fds[2];
    if (pipe(fds) != 0) throw std::runtime_error("pipe failed");
    std::fflush(stdout);
    const pid_t pid = fork();
    if (pid < 0) throw std::runtime_error("fork failed");
    if (pid == 0) {
      dup2(fds[1], 1);
      close(fds[0]);
      close(fds[1]);
      std::vector<std::string> args = {"engine_gpu_tests", "--worker", std::to_string(next)};
      args.insert(args.end(), pass_args.begin(), pass_args.end());
      std::vector<char*> argv;
      for (auto& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      execv("/proc/self/exe", argv.data());
      std::perror("engine_gpu_tests: cannot start the worker");
      _exit(127);
    }
    close(fds[1]);
    long current = -1, finished = -1;
    bool timed_out = false;
    auto started = std::chrono::steady_clock::now();
    std::string buf;
    auto line = [&](const std::string& l) {
      size_t u = 0;
      int p = 0, f = 0, m = 0;
      if (std::sscanf(l.c_str(), "@@begin %zu", &u) == 1) {
        current = static_cast<long>(u);
        started = std::chrono::steady_clock::now();
      } else if (std::sscanf(l.c_str(), "@@result %zu %d %d %d", &u, &p, &f, &m) == 4) {
        if (u >= suite.units.size()) return;
        const std::string& name = suite.units[u].name;
        Counts& c = name.rfind("op:", 0) == 0 ? sum.cases : is_train_unit(name) ? sum.plans : sum.checks;
        c.passed += p, c.failed += f, c.unsupported += m;
        current = -1;
        finished = static_cast<long>(u);
      } else {
        std::printf("%s\n", l.c_str());
        if (l.rfind("  FAIL ", 0) == 0) sum.failures.push_back(l.substr(7));
      }
    };
    for (;;) {
      pollfd pfd{fds[0], POLLIN, 0};
      if (poll(&pfd, 1, 1000) > 0) {
        char tmp[8192];
        ssize_t n = read(fds[0], tmp, sizeof tmp);
        if (n <= 0) break;
        buf.append(tmp, static_cast<size_t>(n));
        for (size_t nl; (nl = buf.find('\n')) != std::string::npos; buf.erase(0, nl + 1)) line(buf.substr(0, nl));
      }
      if (current >= 0 && std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count() > timeout_s) {
        kill(pid, SIGKILL);
        timed_out = true;
        break;
      }
    }
    close(fds[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    if (!buf.empty()) line(buf);
    if (current >= 0) {  // the unit began and never reported: it crashed or hung
      const std::string& name = suite.units[static_cast<size_t>(current)].name;
      const std::string why = timed_out ? "timed out after " + fmt(timeout_s) + " s (NW_GPU_PARITY_UNIT_TIMEOUT)" : describe_exit(status);
      std::printf("  FAIL %s: the worker %s; its remaining cases did not run\n", name.c_str(), why.c_str());
      sum.crashed.push_back(name + ": " + why);
      sum.failures.push_back(name + ": " + why);
      Counts& c = name.rfind("op:", 0) == 0 ? sum.cases : is_train_unit(name) ? sum.plans : sum.checks;
      c.failed += 1;
      next = static_cast<size_t>(current) + 1;
    } else if (finished >= static_cast<long>(next)) {
      next = static_cast<size_t>(finished) + 1;
      if (next < suite.units.size() && !(WIFEXITED(status) && WEXITSTATUS(status) == kRestartCode))
        throw std::runtime_error("the worker stopped early (" + describe_exit(status) + ")");
    } else {
      throw std::runtime_error("the worker could not start (" + describe_exit(status) + ")");
    }
  }
}

int usage() {
  std::fprintf(stderr, "usage: engine_gpu_tests [filter] [--device cuda:N|cpu] [--fixtures tests/fixtures] [--json FILE]\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::string filter, fixtures = NW_FIXTURES, json, device_name = "cuda:0";
  long worker_from = -1;
  std::vector<std::string> pass;  // options a worker needs too
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const bool has_value = i + 1 < argc;
    if (a == "--worker" && has_value) worker_from = std::atol(argv[++i]);
    else if (a == "--fixtures" && has_value) fixtures = argv[++i], pass.insert(pass.end(), {"--fixtures", fixtures});
    else if (a == "--device" && has_value) device_name = argv[++i], pass.insert(pass.end(), {"--device", device_name});
    else if (a == "--json" && has_value) json = argv[++i];
    else if (a.rfind("--", 0) == 0 || !filter.empty()) return usage();
    else filter = a, pass.push_back(a);
  }
  // --device cpu compares the CPU with itself: a self-check of this harness where there is no GPU.
  Device cuda;
  try {
    cuda = device_from_name(device_name);
  } catch (const Error& e) {
    std::fprintf(stderr, "engine_gpu_tests: %s\n", e.what());
    return 2;
  }
  Suite suite;
  try {
    build_suite(suite, fixtures, filter);
  } catch (const std::exception& e) {
    std::printf("FAIL reading the fixtures: %s\n", e.what());
    return 1;
  }
  if (worker_from >= 0) return worker(suite, static_cast<size_t>(worker_from), cuda);

  Summary sum;
  // Completeness: pure registry lookups, no device needed. Composite ops run on cuda where all
  // their declared parts do (supports() checks them); to_device moves data between devices and
  // is the same op everywhere.
  int counted = 0;
  std::string composite;
  const Device cuda0{DeviceType::CUDA, cuda.type == DeviceType::CUDA ? cuda.index : 0};
  for (const OpDef* op : op_table()) {
    if (op->cross_device) continue;
    if (op->grad == GradKind::Composite) composite += std::string(composite.empty() ? "" : ", ") + op->name;
    ++counted;
    if (!supports(op->name, cuda0)) sum.missing.push_back(op->name);
  }
  std::printf("completeness: %d of %d ops run on cuda (composite, through their parts: %s)\n",
              counted - static_cast<int>(sum.missing.size()), counted, composite.c_str());
  if (!sum.missing.empty()) {
    std::string list;
    for (const auto& m : sum.missing) list += (list.empty() ? "" : " ") + m;
    std::printf("  FAIL completeness: %zu ops cannot run on cuda: %s\n", sum.missing.size(), list.c_str());
  }

  std::vector<DeviceInfo> devices = cuda_devices(sum.status);
  const bool self_check = cuda.type == DeviceType::CPU;
  const bool have = self_check || (cuda.index >= 0 && cuda.index < static_cast<int>(devices.size()));
  int rc = 0;
  if (!have) {
    // Without the device, creating a tensor on it must say so clearly.
    try {
      empty({1}, DType::Float32, cuda);
      std::printf("  FAIL creating a tensor on %s without that device did not throw\n", cuda.str().c_str());
      rc = 1;
    } catch (const Error& e) {
      if (e.code != "E_DEVICE") std::printf("  FAIL creating a tensor on %s without that device gave %s, expected E_DEVICE\n", cuda.str().c_str(), e.code.c_str());
      if (e.code != "E_DEVICE") rc = 1;
    }
    std::string reason = sum.status;
    if (devices.empty() && reason.rfind("no CUDA device (", 0) == 0) reason = reason.substr(16, reason.size() - 17);
    else if (devices.empty() && reason == "no CUDA device") reason = "the CUDA runtime finds none";
    else reason = cuda.str() + " does not exist: " + sum.status;
    std::printf("skipped: no CUDA device (%s); %zu op cases and %zu train-step checks not run\n", reason.c_str(), suite.cases.size(),
                suite.plans.size() + suite.optim.cases.size());
    sum.device = "none";
    write_json(json, sum);
    return !sum.missing.empty() || rc ? 1 : kSkipCode;
  }
  if (self_check) {
    sum.device = "cpu (self-check: the CPU against itself)";
    std::printf("device: %s\n", sum.device.c_str());
  } else {
    const DeviceInfo& info = devices[static_cast<size_t>(cuda.index)];
    sum.device = info.name + " (sm " + info.compute_capability + ")";
    std::printf("device: %s %s; gemm: %s\n", cuda.str().c_str(), sum.device.c_str(), cuda::gemm_backend().c_str());
  }
  try {
    run_workers(suite, pass, sum);
  } catch (const std::exception& e) {
    std::printf("  FAIL %s\n", e.what());
    sum.failures.push_back(e.what());
    rc = 1;
  }
  std::printf("parity on %s: op cases %d passed, %d failed, %d unsupported; train steps %d passed, %d failed; checks %d passed, %d failed%s\n",
              cuda.str().c_str(), sum.cases.passed, sum.cases.failed, sum.cases.unsupported, sum.plans.passed, sum.plans.failed,
              sum.checks.passed, sum.checks.failed, sum.crashed.empty() ? "" : ("; " + std::to_string(sum.crashed.size()) + " crashed").c_str());
  write_json(json, sum);
  const bool ok = rc == 0 && sum.missing.empty() && sum.cases.failed == 0 && sum.cases.unsupported == 0 && sum.plans.failed == 0 &&
                  sum.checks.failed == 0;
  return ok ? 0 : 1;
}
