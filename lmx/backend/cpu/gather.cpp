// SPDX-License-Identifier: MIT
// Gather and scatter: for each index tuple, copy (or add) one strided block.
#include <cstring>

#include "lmx/backend/cpu/strided.h"
#include "lmx/core/error.h"
#include "lmx/core/primitives.h"

namespace lmx {

namespace {

// Reads index arrays (any integer dtype, broadcast views) into int64 offsets per position.
std::vector<int64_t> index_offsets(const Array& a, const std::vector<Array>& idx,
                                   const std::vector<int>& axes, const char* op) {
  int64_t n = idx.empty() ? 1 : idx[0].size();
  std::vector<int64_t> offs(n, 0);
  for (size_t k = 0; k < idx.size(); ++k) {
    int ax = axes[k];
    int64_t dim = a.shape()[ax], stride = a.strides()[ax];
    auto vals = idx[k].to_vector<int64_t>();
    for (int64_t p = 0; p < n; ++p) {
      int64_t v = vals[p];
      if (v < 0) v += dim;
      if (v < 0 || v >= dim)
        raise<ValueError>(op, "index {} is out of range for axis {} of size {}", vals[p], ax, dim);
      offs[p] += v * stride;
    }
  }
  return offs;
}

}  // namespace

void Gather::eval_cpu(const std::vector<Array>& inputs, std::vector<Array>& outputs) {
  Array& out = outputs[0];
  out.allocate();
  const Array& a = inputs[0];
  std::vector<Array> idx(inputs.begin() + 1, inputs.end());
  auto offs = index_offsets(a, idx, axes_, "gather");
  int64_t block = shape_size(slice_sizes_);
  if (block == 0) return;
  size_t w = a.itemsize();
  const char* src = static_cast<const char*>(a.raw_data());
  char* dst = static_cast<char*>(out.raw_data());
  Strides out_st = row_major_strides(slice_sizes_);
  auto plan = cpu::collapse<2>(slice_sizes_, {&a.strides(), &out_st});
  int64_t n = int64_t(offs.size());
  cpu::parallel_for(n, block, [&](int64_t b, int64_t e) {
    for (int64_t p = b; p < e; ++p) {
      const char* s = src + offs[p] * w;
      char* d = dst + p * block * w;
      // Serial per block (we are already inside the parallel loop).
      int nd = int(plan.shape.size());
      int64_t inner = plan.shape.back(), si = plan.strides[0].back();
      int64_t rows = block / inner;
      std::vector<int64_t> ix(nd, 0);
      int64_t so = 0;
      for (int64_t r = 0; r < rows; ++r) {
        if (si == 1) {
          std::memcpy(d + r * inner * w, s + so * w, inner * w);
        } else {
          for (int64_t i = 0; i < inner; ++i)
            std::memcpy(d + (r * inner + i) * w, s + (so + i * si) * w, w);
        }
        for (int dd = nd - 2; dd >= 0; --dd) {
          so += plan.strides[0][dd];
          if (++ix[dd] < plan.shape[dd]) break;
          so -= plan.strides[0][dd] * plan.shape[dd];
          ix[dd] = 0;
        }
      }
    }
  });
}

void Scatter::eval_cpu(const std::vector<Array>& inputs, std::vector<Array>& outputs) {
  Array& out = outputs[0];
  out.allocate();
  const Array& a = inputs[0];
  const Array& upd = inputs.back();
  std::vector<Array> idx(inputs.begin() + 1, inputs.end() - 1);
  // out = copy(a)
  {
    std::vector<Array> o{out};
    AsType copy;
    copy.eval_cpu({a}, o);
  }
  auto offs = index_offsets(out, idx, axes_, name());
  int ni = idx.empty() ? 0 : idx[0].ndim();
  Shape slice(upd.shape().begin() + ni, upd.shape().end());
  Strides ust(upd.strides().begin() + ni, upd.strides().end());
  Strides ost = out.strides();
  int64_t block = shape_size(slice);
  if (block == 0) return;
  Strides upd_outer(upd.strides().begin(), upd.strides().begin() + ni);
  Shape ishape(upd.shape().begin(), upd.shape().begin() + ni);
  dispatch_dtype(out.dtype(), [&](auto t) {
    using T = decltype(t);
    using C = cpu::compute_t<T>;
    T* dst = out.data<T>();
    const T* src = upd.data<T>();
    for (size_t p = 0; p < offs.size(); ++p) {
      // Offset of update block p.
      int64_t uo = 0, r = int64_t(p);
      for (int d = ni - 1; d >= 0; --d) {
        uo += (r % ishape[d]) * upd_outer[d];
        r /= ishape[d];
      }
      std::vector<int64_t> ix(slice.size(), 0);
      for (int64_t q = 0; q < block; ++q) {
        int64_t so = uo, dof = offs[p];
        for (size_t d = 0; d < slice.size(); ++d) {
          so += ix[d] * ust[d];
          dof += ix[d] * ost[d];
        }
        if (add_)
          dst[dof] = cpu::cast<T>(C(dst[dof]) + C(src[so]));
        else
          dst[dof] = src[so];
        for (int d = int(slice.size()) - 1; d >= 0; --d) {
          if (++ix[d] < slice[d]) break;
          ix[d] = 0;
        }
      }
    }
  });
}

}  // namespace lmx
