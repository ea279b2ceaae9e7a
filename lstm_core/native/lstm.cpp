// The LSTM's time loop, forward and backward through time, for one layer and one direction.
//
// This file is the only place where the project writes the LSTM equations (torch's gate order i, f, g, o):
//
//     x_proj_t = W_ih x_t + b               (b = b_ih + b_hh: the input's share of the pre-activations)
//     a_t = x_proj_t + W_hh h_{t-1}
//     i_t = σ(a_i)   f_t = σ(a_f)   g_t = tanh(a_g)   o_t = σ(a_o)
//     c_t = f_t ⊙ c_{t-1} + i_t ⊙ g_t
//     m_t = o_t ⊙ tanh(c_t)                     h_t = m_t, or W_hr m_t when proj_size > 0
//
// and their backward pass through time (δ· = ∂L/∂·, visiting the steps in the opposite order):
//
//     δh_t = ∂L/∂h_t (from the layer's output) + W_hh^T δa_{t+1}      δm_t = δh_t, or W_hr^T δh_t
//     δo_t = δm_t ⊙ tanh(c_t)                  δc_t = δc_{t+1} ⊙ f_{t+1} + δm_t ⊙ o_t ⊙ (1 - tanh²(c_t))
//     δf_t = δc_t ⊙ c_{t-1}   δi_t = δc_t ⊙ g_t   δg_t = δc_t ⊙ i_t
//     δa_t = [δi ⊙ i(1-i); δf ⊙ f(1-f); δg ⊙ (1-g²); δo ⊙ o(1-o)]        (0 where a what-if clamp holds a gate)
//
// What needs no recurrence — δx_t = W_ih^T δa_t and the weight gradients, sums over time such as
// δW_hh = Σ_t δa_t h_{t-1}^T — the Python side computes with one matrix product each (native/__init__.py).
//
// Shapes, all row-major and contiguous (T steps, B sequences, H hidden units, R = proj_size or H):
//   x (T, B, I)   x_proj, pre, gates (T, B, 4H)   m (T, B, H)   c_all (T+1, B, H)   h_all (T+1, B, R)
//   w_ih (4H, I)   b (4H)   w_hh (4H, R)   w_hr (R, H)   (c_all, h_all: see `forward`)
//   lengths (B): sequence b has real steps 0 .. lengths[b]-1; at its padded steps its state is carried over.
//   clamp_mask/clamp_value (T, 4, H): the what-if tool forces gate k of unit u at step t.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <memory>
#include <type_traits>
#include <vector>

namespace {

// The BLAS torch links (MKL), Fortran interface (column-major): its gemm, or null.
template <typename T>
struct Blas {
    void (*gemm)(const char*, const char*, const int*, const int*, const int*, const T*, const T*, const int*,
                 const T*, const int*, const T*, T*, const int*);
};

// The matrix products are register tiles: Rows × kTileVecs vectors of C stay in registers for the whole sum
// over k (GCC vector extensions: AVX-512 or AVX2, whatever -march gives). The weights are stored once per
// sequence as column panels, each a contiguous (k × kCols) block read front to back with a prefetch ahead, so
// that weights too large for the L2 cache stream from L3 at full speed (measured: 20–25% faster than MKL's
// packed sgemm for 8 × 512 · 512 × 2048 on one thread, equal at 32 × 256 · 256 × 1024, faster below).
#if defined(__AVX512F__)  // 32 vector registers: 8 rows × 2 vectors (measured: 12 × 2 and 6 × 4 are no faster)
constexpr int kVecBytes = 64, kTileRows = 8, kTileVecs = 2;
#else  // 16 vector registers
constexpr int kVecBytes = 32, kTileRows = 4, kTileVecs = 3;
#endif
typedef float vec_f __attribute__((vector_size(kVecBytes), aligned(4), may_alias));
typedef double vec_d __attribute__((vector_size(kVecBytes), aligned(8), may_alias));
template <typename T> struct VecOf;
template <> struct VecOf<float> { using type = vec_f; };
template <> struct VecOf<double> { using type = vec_d; };
template <typename T> constexpr int64_t kCols = kTileVecs * (kVecBytes / sizeof(T));  // a panel's width
constexpr int kPrefetchRows = 8;  // how many panel rows ahead the tiles prefetch

// One product term of a tile: rows of A (row r at A + r·k) times a (k × kCols) panel of weights.
template <typename T>
struct Term {
    const T* A;
    const T* panel;
    int64_t k;
};

template <typename T, int Rows>
using Acc = typename VecOf<T>::type[Rows][kTileVecs];

template <typename T, int Rows>
inline void accumulate(Acc<T, Rows>& acc, const Term<T>& term) {
    using V = typename VecOf<T>::type;
    constexpr int L = kVecBytes / sizeof(T);
    for (int64_t p = 0; p < term.k; ++p) {
        const T* w_row = term.panel + p * kCols<T>;
        for (int64_t b = 0; b < kCols<T> * int64_t(sizeof(T)); b += 64)
            __builtin_prefetch(reinterpret_cast<const char*>(w_row + kPrefetchRows * kCols<T>) + b);
        V w[kTileVecs];
        for (int v = 0; v < kTileVecs; ++v) w[v] = *reinterpret_cast<const V*>(w_row + v * L);
        for (int r = 0; r < Rows; ++r) {
            const T a = term.A[r * term.k + p];
            for (int v = 0; v < kTileVecs; ++v) acc[r][v] += a * w[v];
        }
    }
}

// A tile kCols wide and Rows high: C1 = init + first, then (when second.A is set) C2 = C1 + second, the sum
// staying in registers between the two. Rows of C1, C2 are ldc apart, of init ldi (0: one row for all, a bias).
template <typename T, int Rows>
inline void tile(const T* init, int64_t ldi, const Term<T>& first, T* C1, const Term<T>& second, T* C2,
                 int64_t ldc) {
    using V = typename VecOf<T>::type;
    constexpr int L = kVecBytes / sizeof(T);
    Acc<T, Rows> acc;
    for (int r = 0; r < Rows; ++r)
        for (int v = 0; v < kTileVecs; ++v)
            acc[r][v] = init ? *reinterpret_cast<const V*>(init + r * ldi + v * L) : V{};
    const auto store = [&](T* C) {
        for (int r = 0; r < Rows; ++r)
            for (int v = 0; v < kTileVecs; ++v) *reinterpret_cast<V*>(C + r * ldc + v * L) = acc[r][v];
    };
    accumulate<T, Rows>(acc, first);
    store(C1);
    if (!second.A) return;
    accumulate<T, Rows>(acc, second);
    store(C2);
}

// Calls f(std::integral_constant<int, Rows>, i0) for the row tiles covering m rows: full tiles, then the rows
// left in one tile of their own (a product with B = 3 sequences reads the weights once, not three times).
template <int Rows = kTileRows, typename F>
inline void row_tiles(int64_t m, int64_t i0, F&& f) {
    if constexpr (Rows == kTileRows)
        for (; i0 + Rows <= m; i0 += Rows) f(std::integral_constant<int, Rows>{}, i0);
    if constexpr (Rows > 1) {
        if (m - i0 == Rows - 1) return f(std::integral_constant<int, Rows - 1>{}, i0);
        row_tiles<Rows - 1>(m, i0, f);
    }
}

// From this many weights on, a product done once over all T·B rows (the input projection) goes to the BLAS
// gemm, which blocks for the caches; the tiles stream A once per panel.
constexpr int64_t kBlasMinWeights = 65536;

// One weight matrix applied at every step: C (m×n) = init + A (m×k) · W^T (W is n×k, `transposed`) or A · W
// (W is k×n), all row-major. The weights are laid out in panels once per sequence; a product done only once
// (`once`) with large weights uses the BLAS gemm instead.
template <typename T>
class Times {
  public:
    Times(const T* W, int64_t m, int64_t n, int64_t k, bool transposed, const Blas<T>& blas, bool once = false)
        : W_(W), m_(m), n_(n), k_(k), transposed_(transposed), blas_(blas) {
        if (once && n * k >= kBlasMinWeights && blas.gemm) return;
        panels_.reset(new T[size_t(n * k)]);
        for (int64_t j0 = 0; j0 < n; j0 += kCols<T>) {  // panel j0: P[p·w + c] = W(p, j0 + c), w its width
            const int64_t w = std::min(kCols<T>, n - j0);
            T* P = panels_.get() + j0 * k;
            if (!transposed) {
                for (int64_t p = 0; p < k; ++p) std::memcpy(P + p * w, W + p * n + j0, sizeof(T) * size_t(w));
                continue;
            }
            for (int64_t p0 = 0; p0 < k; p0 += 16)  // W's rows are read 16 numbers at a time, in L1
                for (int64_t c = 0; c < w; ++c)
                    for (int64_t p = p0; p < std::min(k, p0 + 16); ++p) P[p * w + c] = W[(j0 + c) * k + p];
        }
    }

    // C = init + A · W (or W^T); init (row stride `ldi`: n, or 0 to start every row from one row) may be C
    // itself, or null for zeros.
    void apply(const T* A, const T* init, T* C, int64_t ldi = -1) const {
        if (ldi < 0) ldi = n_;
        if (!panels_) {
            const int m = int(m_), n = int(n_), k = int(k_), ld = int(transposed_ ? k_ : n_);
            for (int64_t i = 0; init && init != C && i < m_; ++i)
                std::memcpy(C + i * n_, init + i * ldi, sizeof(T) * size_t(n_));
            const T one = 1, beta = init ? 1 : 0;
            blas_.gemm(transposed_ ? "T" : "N", "N", &n, &m, &k, &one, W_, &ld, A, &k, &beta, C, &n);
            return;
        }
        products(init, ldi, A, C, nullptr, nullptr, nullptr);
    }

    // C1 = init + A1 · W (as `apply`), then C2 = C1 + A2 · W' of `next` (same m and n, panels both), tile by
    // tile: the step's x_proj_t and a_t = x_proj_t + h_{t-1} W_hh^T in one pass.
    void apply_then(const T* A1, const T* init, int64_t ldi, T* C1, const Times& next, const T* A2, T* C2) const {
        products(init, ldi, A1, C1, &next, A2, C2);
    }

  private:
    void products(const T* init, int64_t ldi, const T* A1, T* C1, const Times* next, const T* A2, T* C2) const {
        int64_t j0 = 0;
        for (; j0 + kCols<T> <= n_; j0 += kCols<T>) {
            const T* in = init ? init + j0 : nullptr;
            row_tiles(m_, 0, [&](auto rows, int64_t i0) {
                const Term<T> first{A1 + i0 * k_, panels_.get() + j0 * k_, k_};
                const Term<T> second = next ? Term<T>{A2 + i0 * next->k_, next->panels_.get() + j0 * next->k_,
                                                      next->k_} : Term<T>{nullptr, nullptr, 0};
                tile<T, decltype(rows)::value>(in ? in + i0 * ldi : nullptr, ldi, first, C1 + i0 * n_ + j0, second,
                                               C2 ? C2 + i0 * n_ + j0 : nullptr, n_);
            });
        }
        if (j0 == n_) return;
        tail(j0, init, ldi, A1, C1);  // the last columns, fewer than a panel
        if (next) next->tail(j0, C1, n_, A2, C2);
    }

    void tail(int64_t j0, const T* init, int64_t ldi, const T* A, T* C) const {
        const int64_t w = n_ - j0;
        const T* P = panels_.get() + j0 * k_;
        for (int64_t i = 0; i < m_; ++i) {
            T* c = C + i * n_ + j0;
            if (!init)
                std::fill(c, c + w, T(0));
            else if (init != C || ldi != n_)
                std::copy(init + i * ldi + j0, init + i * ldi + j0 + w, c);
            for (int64_t p = 0; p < k_; ++p) {
                const T a = A[i * k_ + p];
                const T* row = P + p * w;
#pragma omp simd
                for (int64_t j = 0; j < w; ++j) c[j] += a * row[j];
            }
        }
    }

  private:
    const T* W_;
    int64_t m_, n_, k_;
    bool transposed_;
    const Blas<T>& blas_;
    std::unique_ptr<T[]> panels_;
};

// The activations, written with exp only, so that the compiler calls its vectorised exp over whole rows:
// σ(a) = 1 / (1 + e^{-a}) and tanh(a) = 2σ(2a) - 1. `scale` is 1 for σ and 2 for tanh, per element, so one
// loop activates all four gates of a row [i | f | g | o] at once.
template <typename T>
void activate(const T* a, const T* scale, T* y, int64_t n) {
#pragma omp simd
    for (int64_t j = 0; j < n; ++j) {
        const T s = scale[j];
        y[j] = s / (T(1) + std::exp(-s * a[j])) - (s - T(1));
    }
}

template <typename T>
void tanh_into(const T* a, T* y, int64_t n) {
#pragma omp simd
    for (int64_t j = 0; j < n; ++j) y[j] = T(2) / (T(1) + std::exp(T(-2) * a[j])) - T(1);
}

struct Steps {  // the visiting order: 0 .. T-1, or T-1 .. 0 for the reverse direction
    int64_t count;
    bool reverse;
    int64_t at(int64_t k) const { return reverse ? count - 1 - k : k; }
};

inline bool real_step(const int64_t* lengths, int64_t b, int64_t t) { return !lengths || t < lengths[b]; }

// States live in (T+1)-slot arrays: h_all (T+1, B, R), c_all (T+1, B, H). The slot before the first visited
// step gets h0/c0 (slot 0 forward, slot T reverse); step t writes slot t+1 (forward) or t (reverse),
// so the states entering and leaving every step are both plain views, and the last slot written is h_n/c_n.
// At a padded step the state is carried over unchanged (the gates and pre-activations there are zeros).
inline int64_t slot_after(int64_t t, bool reverse) { return reverse ? t : t + 1; }
inline int64_t slot_before(int64_t t, bool reverse) { return reverse ? t + 1 : t; }

template <typename T>
void forward(int64_t steps, int64_t B, int64_t I, int64_t H, int64_t R, bool reverse, const T* x, const T* w_ih,
             const T* b_ih, const T* b_hh, const T* w_hh, const T* w_hr, const T* h0, const T* c0,
             const int64_t* lengths, const uint8_t* clamp_mask, const T* clamp_value, T* x_proj, T* pre, T* gates,
             T* m, T* c_all, T* h_all, const Blas<T>& blas) {
    const int64_t G = 4 * H;
    std::vector<T> b_sum(b_ih ? size_t(G) : 0);  // b = b_ih + b_hh (no bias: null)
    for (int64_t j = 0; b_ih && j < G; ++j) b_sum[size_t(j)] = b_ih[j] + b_hh[j];
    const T* bias = b_ih ? b_sum.data() : nullptr;
    T* h_first = h_all + slot_before(reverse ? steps - 1 : 0, reverse) * B * R;  // h0, c0 (null: zeros)
    T* c_first = c_all + slot_before(reverse ? steps - 1 : 0, reverse) * B * H;
    if (h0) std::memcpy(h_first, h0, sizeof(T) * size_t(B * R)); else std::fill(h_first, h_first + B * R, T(0));
    if (c0) std::memcpy(c_first, c0, sizeof(T) * size_t(B * H)); else std::fill(c_first, c_first + B * H, T(0));
    // x_proj_t = b + x_t W_ih^T at every step, fused with W_hh's product (x_proj_t then never leaves the registers
    // before a_t adds to it), while W_ih is small or small next to W_hh, which every step reads anyway; else once
    // for all T·B rows with the BLAS gemm before the loop (measured: per step at 8 × 64 → 2048 with W_hh 2048 ×
    // 512, once at 32 × 128 → 1024 with W_hh 1024 × 256)
    const bool project_once = G * I >= kBlasMinWeights && 8 * I > R && blas.gemm;
    const Times<T> input(w_ih, project_once ? steps * B : B, G, I, true, blas, project_once);
    if (project_once) input.apply(x, bias, x_proj, 0);  // every row starts at b
    const Times<T> recur(w_hh, B, G, R, true, blas);  // h_{t-1} W_hh^T
    const Times<T> project(w_hr, B, w_hr ? R : 0, H, true, blas);  // m_t W_hr^T
    std::vector<T> scale(static_cast<size_t>(G), T(1));  // σ for i, f, o; tanh for g
    std::fill(scale.begin() + 2 * H, scale.begin() + 3 * H, T(2));
    const Steps order{steps, reverse};
    for (int64_t k = 0; k < steps; ++k) {
        const int64_t t = order.at(k);
        const T* h_prev = h_all + slot_before(t, reverse) * B * R;
        const T* c_prev = c_all + slot_before(t, reverse) * B * H;
        T* h_next = h_all + slot_after(t, reverse) * B * R;
        T* c_next = c_all + slot_after(t, reverse) * B * H;
        T* a = pre + t * B * G;
        T* xp = x_proj + t * B * G;
        if (project_once) {  // x_proj_t was written long before: copy it in one sequential pass, then add
            std::memcpy(a, xp, sizeof(T) * size_t(B * G));
            recur.apply(h_prev, a, a);  // a_t = x_proj_t + h_{t-1} W_hh^T
        } else {
            input.apply_then(x + t * B * I, bias, 0, xp, recur, h_prev, a);  // x_proj_t = b + x_t W_ih^T, a_t
        }
        T* mt = w_hr ? m + t * B * H : h_next;  // without a projection m_t is h_t
        for (int64_t b = 0; b < B; ++b) {
            T* gate = gates + (t * B + b) * G;  // [i | f | g | o]
            T* ct = c_next + b * H;
            const T* cp = c_prev + b * H;
            T* mb = mt + b * H;
            if (!real_step(lengths, b, t)) {
                std::memset(gate, 0, sizeof(T) * G);
                std::memset(a + b * G, 0, sizeof(T) * G);
                std::memcpy(ct, cp, sizeof(T) * H);
                if (w_hr) std::memset(mb, 0, sizeof(T) * H);
                else std::memcpy(mb, h_prev + b * R, sizeof(T) * R);
                continue;
            }
            activate(a + b * G, scale.data(), gate, G);  // i, f, g, o
            if (clamp_mask) {
                const uint8_t* mask = clamp_mask + t * G;
                const T* value = clamp_value + t * G;
                for (int64_t j = 0; j < G; ++j)
                    if (mask[j]) gate[j] = value[j];
            }
            const T *i = gate, *f = gate + H, *g = gate + 2 * H, *o = gate + 3 * H;
#pragma omp simd
            for (int64_t u = 0; u < H; ++u) ct[u] = f[u] * cp[u] + i[u] * g[u];
            tanh_into(ct, mb, H);
#pragma omp simd
            for (int64_t u = 0; u < H; ++u) mb[u] *= o[u];
        }
        if (w_hr) {
            project.apply(mt, nullptr, h_next);  // h_t = m_t W_hr^T
            for (int64_t b = 0; b < B; ++b)
                if (!real_step(lengths, b, t)) std::memcpy(h_next + b * R, h_prev + b * R, sizeof(T) * R);
        }
    }
}

// Every layer and direction of a stack, in one call, where nothing needs autograd: layer l > 0 reads layer l-1's
// outputs side by side, [forward | reverse] per step (torch's concatenation), zeros at a packed batch's padded
// steps. `arrays` holds, for each layer-direction ld = l·D + d, kStackArrays addresses (0 for none) in this
// order: w_ih, b_ih, b_hh, w_hh, w_hr, h0, c0, clamp_mask, clamp_value, x_proj, pre, gates, m, c_all, h_all,
// h_n, c_n; then one per layer: its output (T, B, D·R), or 0 to read direction 0's h_all (one direction,
// nothing padded).
constexpr int kStackArrays = 17;

template <typename T>
void stack(int64_t layers, int64_t D, int64_t steps, int64_t B, int64_t I, int64_t H, int64_t R, const T* x,
           const int64_t* lengths, const int64_t* arrays, const Blas<T>& blas) {
    const auto at = [&](int64_t ld, int k) { return reinterpret_cast<T*>(arrays[ld * kStackArrays + k]); };
    const T* input = x;
    int64_t width = I;
    for (int64_t l = 0; l < layers; ++l) {
        T* out = reinterpret_cast<T*>(arrays[layers * D * kStackArrays + l]);
        for (int64_t d = 0; d < D; ++d) {
            const int64_t ld = l * D + d;
            const bool reverse = d == 1;
            T *c_all = at(ld, 13), *h_all = at(ld, 14);
            forward<T>(steps, B, width, H, R, reverse, input, at(ld, 0), at(ld, 1), at(ld, 2), at(ld, 3), at(ld, 4),
                       at(ld, 5), at(ld, 6), lengths, reinterpret_cast<const uint8_t*>(at(ld, 7)), at(ld, 8),
                       at(ld, 9), at(ld, 10), at(ld, 11), at(ld, 12), c_all, h_all, blas);
            const int64_t last = reverse ? 0 : steps;  // the slot written last: h_n, c_n
            std::memcpy(at(ld, 15), h_all + last * B * R, sizeof(T) * size_t(B * R));
            std::memcpy(at(ld, 16), c_all + last * B * H, sizeof(T) * size_t(B * H));
            for (int64_t t = 0; out && t < steps; ++t)
                for (int64_t b = 0; b < B; ++b) {
                    T* row = out + (t * B + b) * D * R + d * R;
                    if (real_step(lengths, b, t))
                        std::memcpy(row, h_all + (slot_after(t, reverse) * B + b) * R, sizeof(T) * size_t(R));
                    else
                        std::memset(row, 0, sizeof(T) * size_t(R));
                }
        }
        input = out ? out : at(l * D, 14) + B * R;  // one direction, forward: h_all's slots 1 .. T
        width = D * R;
    }
}

template <typename T>
void backward(int64_t steps, int64_t B, int64_t H, int64_t R, bool reverse, const T* gates, const T* c_all,
              const T* w_hh, const T* w_hr, const int64_t* lengths, const uint8_t* clamp_mask, const T* grad_h,
              const T* grad_hn, const T* grad_cn, T* d_pre, T* d_gates, T* dh, T* dc, T* dh0, T* dc0,
              const Blas<T>& blas) {
    const int64_t G = 4 * H;
    const Times<T> recur(w_hh, B, R, G, false, blas);  // δa_t W_hh
    const Times<T> project(w_hr, B, w_hr ? H : 0, R, false, blas);  // δh_t W_hr
    std::memcpy(dh0, grad_hn, sizeof(T) * B * R);  // dh0, dc0 carry δh, δc back through time
    std::memcpy(dc0, grad_cn, sizeof(T) * B * H);
    std::vector<T> dm_buf(w_hr ? static_cast<size_t>(B * H) : 0);
    std::vector<T> carry(static_cast<size_t>(B * R));
    std::vector<T> tc(static_cast<size_t>(H));
    std::vector<T> gate_scratch(d_gates ? 0 : static_cast<size_t>(G));  // d_gates may be null: not kept
    const Steps order{steps, !reverse};  // backward visits the steps in the opposite order
    for (int64_t k = 0; k < steps; ++k) {
        const int64_t t = order.at(k);
        T* dht = dh + t * B * R;
        const T* ght = grad_h + t * B * R;
        for (int64_t b = 0; b < B; ++b) {
            if (real_step(lengths, b, t)) {
#pragma omp simd
                for (int64_t r = 0; r < R; ++r) dht[b * R + r] = ght[b * R + r] + dh0[b * R + r];
            } else {
                std::memset(dht + b * R, 0, sizeof(T) * R);
            }
        }
        const T* dm = dht;
        if (w_hr) {
            project.apply(dht, nullptr, dm_buf.data());  // δm_t = δh_t W_hr
            dm = dm_buf.data();
        }
        const T* c_now = c_all + slot_after(t, reverse) * B * H;
        const T* c_before = c_all + slot_before(t, reverse) * B * H;
        for (int64_t b = 0; b < B; ++b) {
            const size_t row = size_t(t * B + b);
            T* da = d_pre + row * G;
            T* dgt = d_gates ? d_gates + row * G : gate_scratch.data();
            T* dct = dc + row * H;
            if (!real_step(lengths, b, t)) {
                std::memset(da, 0, sizeof(T) * G);
                std::memset(dgt, 0, sizeof(T) * G);
                std::memset(dct, 0, sizeof(T) * H);
                continue;
            }
            const T* gate = gates + row * G;
            const T *i = gate, *f = gate + H, *g = gate + 2 * H, *o = gate + 3 * H;
            const T* cb = c_now + b * H;
            const T* cp = c_before + b * H;
            const T* dmb = dm + b * H;
            T* dcs = dc0 + b * H;
            tanh_into(cb, tc.data(), H);
            T *di = dgt, *df = dgt + H, *dg = dgt + 2 * H, *dout = dgt + 3 * H;
#pragma omp simd
            for (int64_t u = 0; u < H; ++u) {
                const T th = tc[u];
                const T dcu = dcs[u] + dmb[u] * o[u] * (T(1) - th * th);
                dct[u] = dcu;
                dout[u] = dmb[u] * th;
                df[u] = dcu * cp[u];
                di[u] = dcu * g[u];
                dg[u] = dcu * i[u];
                dcs[u] = dcu * f[u];  // δc carried to the step before
                da[u] = di[u] * i[u] * (T(1) - i[u]);
                da[H + u] = df[u] * f[u] * (T(1) - f[u]);
                da[2 * H + u] = dg[u] * (T(1) - g[u] * g[u]);
                da[3 * H + u] = dout[u] * o[u] * (T(1) - o[u]);
            }
            if (clamp_mask) {
                const uint8_t* mask = clamp_mask + t * G;
                for (int64_t j = 0; j < G; ++j)
                    if (mask[j]) da[j] = 0;
            }
        }
        recur.apply(d_pre + t * B * G, nullptr, carry.data());  // W_hh^T δa_t, for h_{t-1}
        for (int64_t b = 0; b < B; ++b)
            if (real_step(lengths, b, t)) std::memcpy(dh0 + b * R, carry.data() + b * R, sizeof(T) * R);
    }
}

}  // namespace

#define LSTM_EXPORT(T, suffix)                                                                                 \
    extern "C" void lstm_forward_##suffix(int64_t steps, int64_t B, int64_t H, int64_t R, int reverse,         \
                                          int64_t I, const T* x, const T* w_ih, const T* b_ih, const T* b_hh,    \
                                          const T* w_hh, const T* w_hr, const T* h0, const T* c0,                \
                                          const int64_t* lengths, const uint8_t* clamp_mask,                     \
                                          const T* clamp_value, T* x_proj, T* pre, T* gates, T* m, T* c_all,     \
                                          T* h_all, const void* blas) {                                          \
        forward<T>(steps, B, I, H, R, reverse != 0, x, w_ih, b_ih, b_hh, w_hh, w_hr, h0, c0, lengths,          \
                   clamp_mask, clamp_value, x_proj, pre, gates, m, c_all, h_all,                               \
                   *static_cast<const Blas<T>*>(blas));                                                        \
    }                                                                                                          \
    extern "C" void lstm_backward_##suffix(                                                                    \
        int64_t steps, int64_t B, int64_t H, int64_t R, int reverse, const T* gates, const T* c_all,           \
        const T* w_hh, const T* w_hr, const int64_t* lengths, const uint8_t* clamp_mask, const T* grad_h,       \
        const T* grad_hn, const T* grad_cn, T* d_pre, T* d_gates, T* dh, T* dc, T* dh0, T* dc0,                \
        const void* blas) {                                                                                    \
        backward<T>(steps, B, H, R, reverse != 0, gates, c_all, w_hh, w_hr, lengths, clamp_mask, grad_h,        \
                    grad_hn, grad_cn, d_pre, d_gates, dh, dc, dh0, dc0, *static_cast<const Blas<T>*>(blas));   \
    }

#define LSTM_STACK_EXPORT(T, suffix)                                                                           \
    extern "C" void lstm_stack_##suffix(int64_t layers, int64_t D, int64_t steps, int64_t B, int64_t I,        \
                                        int64_t H, int64_t R, const T* x, const int64_t* lengths,              \
                                        const int64_t* arrays, const void* blas) {                             \
        stack<T>(layers, D, steps, B, I, H, R, x, lengths, arrays, *static_cast<const Blas<T>*>(blas));        \
    }

LSTM_STACK_EXPORT(float, f32)
LSTM_STACK_EXPORT(double, f64)
LSTM_EXPORT(float, f32)
LSTM_EXPORT(double, f64)
