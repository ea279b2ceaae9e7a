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
#include <vector>

namespace {

// The BLAS torch links (MKL), Fortran interface (column-major); any pointer may be null.
template <typename T>
struct Blas {
    void (*gemm)(const char*, const char*, const int*, const int*, const int*, const T*, const T*, const int*,
                 const T*, const int*, const T*, T*, const int*);
    size_t (*pack_size)(const char*, const int*, const int*, const int*);
    void (*pack)(const char*, const char*, const int*, const int*, const int*, const T*, const T*, const int*,
                 T*);
    void (*compute)(const char*, const char*, const int*, const int*, const int*, const T*, const int*,
                    const T*, const int*, const T*, T*, const int*);
};

// Register tiles for small matrix products: kTileRows × kTileVecs vectors of C stay in registers for the whole
// sum over k (GCC vector extensions: AVX-512 or AVX2, whatever -march gives).
#if defined(__AVX512F__)  // 32 vector registers: 8 rows × 2 vectors (measured best of 4, 6, 8 × 2, 3, 4)
constexpr int kVecBytes = 64, kTileRows = 8, kTileVecs = 2;
#else  // 16 vector registers
constexpr int kVecBytes = 32, kTileRows = 4, kTileVecs = 3;
#endif
typedef float vec_f __attribute__((vector_size(kVecBytes), aligned(4), may_alias));
typedef double vec_d __attribute__((vector_size(kVecBytes), aligned(8), may_alias));
template <typename T> struct VecOf;
template <> struct VecOf<float> { using type = vec_f; };
template <> struct VecOf<double> { using type = vec_d; };

template <typename T, int Rows>
inline void tile(const T* A, const T* Wt, const T* init, T* C, int64_t n, int64_t k) {
    using V = typename VecOf<T>::type;
    constexpr int L = kVecBytes / sizeof(T);
    V acc[Rows][kTileVecs];
    for (int r = 0; r < Rows; ++r)
        for (int v = 0; v < kTileVecs; ++v)
            acc[r][v] = init ? *reinterpret_cast<const V*>(init + r * n + v * L) : V{};
    for (int64_t p = 0; p < k; ++p) {
        V w[kTileVecs];
        for (int v = 0; v < kTileVecs; ++v) w[v] = *reinterpret_cast<const V*>(Wt + p * n + v * L);
        for (int r = 0; r < Rows; ++r) {
            const T a = A[r * k + p];
            for (int v = 0; v < kTileVecs; ++v) acc[r][v] += a * w[v];
        }
    }
    for (int r = 0; r < Rows; ++r)
        for (int v = 0; v < kTileVecs; ++v) *reinterpret_cast<V*>(C + r * n + v * L) = acc[r][v];
}

// C (m×n) = init + A (m×k) · Wt (k×n) (init may be C itself, or null for zeros), all row-major.
template <typename T>
void tiled_gemm(const T* A, const T* Wt, const T* init, T* C, int64_t m, int64_t n, int64_t k) {
    constexpr int64_t cols = kTileVecs * (kVecBytes / sizeof(T));
    int64_t j0 = 0;
    for (; j0 + cols <= n; j0 += cols) {
        int64_t i0 = 0;
        for (; i0 + kTileRows <= m; i0 += kTileRows)
            tile<T, kTileRows>(A + i0 * k, Wt + j0, init ? init + i0 * n + j0 : nullptr, C + i0 * n + j0, n, k);
        for (; kTileRows > 4 && i0 + 4 <= m; i0 += 4)
            tile<T, 4>(A + i0 * k, Wt + j0, init ? init + i0 * n + j0 : nullptr, C + i0 * n + j0, n, k);
        for (; i0 < m; ++i0)
            tile<T, 1>(A + i0 * k, Wt + j0, init ? init + i0 * n + j0 : nullptr, C + i0 * n + j0, n, k);
    }
    if (j0 == n) return;
    for (int64_t i = 0; i < m; ++i) {  // the last columns, fewer than a tile
        T* c = C + i * n;
        if (!init)
            std::fill(c + j0, c + n, T(0));
        else if (init != C)
            std::copy(init + i * n + j0, init + i * n + n, c + j0);
        for (int64_t p = 0; p < k; ++p) {
            const T a = A[i * k + p];
            const T* w = Wt + p * n;
#pragma omp simd
            for (int64_t j = j0; j < n; ++j) c[j] += a * w[j];
        }
    }
}

// From this many weights on, MKL's packed gemm (the weights packed once per sequence, not at every step)
// beats the register tiles; below, the tiles win (measured: 4H×R = 1024×256 and 2048×512 pack).
constexpr int64_t kPackMinWeights = 65536;

// One weight matrix applied at every step: C (m×n) = init + A (m×k) · W^T (W is n×k, `transposed`) or A · W
// (W is k×n). Prepared once per sequence: MKL's packed format for large weights used at every step when there
// is one, else the BLAS gemm for large weights, else the register tiles over a row-major W^T.
template <typename T>
class Times {
  public:
    Times(const T* W, int64_t m, int64_t n, int64_t k, bool transposed, const Blas<T>& blas, bool once = false)
        : W_(W), m_(int(m)), n_(int(n)), k_(int(k)), trans_(transposed ? "T" : "N"),
          ld_(transposed ? int(k) : int(n)), blas_(blas) {
        const bool large = n * k >= kPackMinWeights;
        if (large && !once && blas.pack_size && blas.pack && blas.compute) {
            packed_.resize(blas.pack_size("A", &n_, &m_, &k_) / sizeof(T) + 1);
            const T one = 1;
            blas.pack("A", trans_, &n_, &m_, &k_, &one, W, &ld_, packed_.data());
        } else if (!(large && blas.gemm)) {
            wt_.resize(size_t(n * k));  // row-major (k, n): row p holds the weights that multiply A[·, p]
            for (int64_t r = 0; r < (transposed ? n : k); ++r)
                for (int64_t c = 0; c < (transposed ? k : n); ++c)
                    wt_[size_t(transposed ? c * n + r : r * n + c)] = W[r * (transposed ? k : n) + c];
        }
    }

    // C = init + A · W (or W^T); init may be C itself, or null for zeros.
    void apply(const T* A, const T* init, T* C) const {
        if (wt_.empty()) {
            if (init && init != C) std::memcpy(C, init, sizeof(T) * size_t(m_) * size_t(n_));
            const T one = 1, beta = init ? 1 : 0;
            if (!packed_.empty())
                blas_.compute("P", "N", &n_, &m_, &k_, packed_.data(), &ld_, A, &k_, &beta, C, &n_);
            else
                blas_.gemm(trans_, "N", &n_, &m_, &k_, &one, W_, &ld_, A, &k_, &beta, C, &n_);
        } else {
            tiled_gemm(A, wt_.data(), init, C, m_, n_, k_);
        }
    }

  private:
    const T* W_;
    int m_, n_, k_;
    const char* trans_;
    int ld_;
    const Blas<T>& blas_;
    std::vector<T> packed_, wt_;
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
             const T* bias, const T* w_hh, const T* w_hr, const T* h0, const T* c0, const int64_t* lengths,
             const uint8_t* clamp_mask, const T* clamp_value, T* x_proj, T* pre, T* gates, T* m, T* c_all,
             T* h_all, const Blas<T>& blas) {
    const int64_t G = 4 * H;
    // x_proj for every step at once, one product over all T·B rows: no recurrence in it
    if (bias) {
        for (int64_t row = 0; row < steps * B; ++row) std::memcpy(x_proj + row * G, bias, sizeof(T) * G);
    }
    Times<T>(w_ih, steps * B, G, I, true, blas, true).apply(x, bias ? x_proj : nullptr, x_proj);
    std::memcpy(h_all + slot_before(reverse ? steps - 1 : 0, reverse) * B * R, h0, sizeof(T) * B * R);
    std::memcpy(c_all + slot_before(reverse ? steps - 1 : 0, reverse) * B * H, c0, sizeof(T) * B * H);
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
        recur.apply(h_prev, x_proj + t * B * G, a);  // a_t = x_proj_t + h_{t-1} W_hh^T
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
                                          int64_t I, const T* x, const T* w_ih, const T* bias, const T* w_hh,    \
                                          const T* w_hr, const T* h0, const T* c0, const int64_t* lengths,       \
                                          const uint8_t* clamp_mask, const T* clamp_value, T* x_proj, T* pre,    \
                                          T* gates, T* m, T* c_all, T* h_all, const void* blas) {                \
        forward<T>(steps, B, I, H, R, reverse != 0, x, w_ih, bias, w_hh, w_hr, h0, c0, lengths, clamp_mask,    \
                   clamp_value, x_proj, pre, gates, m, c_all, h_all, *static_cast<const Blas<T>*>(blas));       \
    }                                                                                                          \
    extern "C" void lstm_backward_##suffix(                                                                    \
        int64_t steps, int64_t B, int64_t H, int64_t R, int reverse, const T* gates, const T* c_all,           \
        const T* w_hh, const T* w_hr, const int64_t* lengths, const uint8_t* clamp_mask, const T* grad_h,       \
        const T* grad_hn, const T* grad_cn, T* d_pre, T* d_gates, T* dh, T* dc, T* dh0, T* dc0,                \
        const void* blas) {                                                                                    \
        backward<T>(steps, B, H, R, reverse != 0, gates, c_all, w_hh, w_hr, lengths, clamp_mask, grad_h,        \
                    grad_hn, grad_cn, d_pre, d_gates, dh, dc, dh0, dc0, *static_cast<const Blas<T>*>(blas));   \
    }

LSTM_EXPORT(float, f32)
LSTM_EXPORT(double, f64)
