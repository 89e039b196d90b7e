/* Single-layer convolution timings for the C candidate engines.
 *
 *   engines [options] SHAPES
 *
 * Reads the layer table (see the file `shapes`), and for every row and every
 * selected engine runs the convolution (with bias, no activation) on seeded
 * random data: warm-up, then repetitions until at least --min-time seconds
 * and --min-reps runs; prints the median.  Each engine's output is compared
 * with a single-threaded im2col + sgemm reference (max |diff| / max |ref|),
 * so a fast but wrong configuration cannot go unnoticed.
 *
 * run.sh runs one engine per process: thread pools that spin-wait after a
 * call (OpenBLAS workers, OpenMP) would otherwise steal one of the two cores
 * from the next engine.
 *
 * Engines (--engines, comma-separated; default: all that were built):
 *   blas          im2col + cblas_sgemm per image, plain NCHW / OIHW, OpenBLAS
 *                 with --threads threads; im2col runs in the calling thread
 *                 (OpenBLAS's own worker would spin against a second one)
 *   blas-split    batch split across --threads pthreads, OpenBLAS 1 thread
 *                 each (only for N >= 2)
 *   dnnl          oneDNN convolution_direct, forward_inference, all formats
 *                 `any`: the library picks its blocked layouts; weights
 *                 reordered once before timing; activations already in the
 *                 chosen layout (the graph keeps one layout throughout)
 *   dnnl-reorder  the same primitive, timing also the NCHW -> blocked source
 *                 reorder and the blocked -> NCHW destination reorder
 *   dnnl-auto     convolution_auto (lets oneDNN pick Winograd where it has it)
 *   xnnpack       xnn_create_convolution2d_nhwc_f32, NHWC activations, OHWI
 *                 weights packed at creation; pthreadpool of --threads
 *   cnnfilt       (built with -DWITH_CNNFILT) the library's `conv2d` op
 *                 through the public API on NCHW CnnfiltTensors
 *
 * Output: tab-separated lines.
 *   I <TAB> engine <TAB> key <TAB> value            information (kernels that ran)
 *   R <TAB> engine <TAB> layer <TAB> N <TAB> median_ms <TAB> GFLOP/s <TAB> reps <TAB> rel_err <TAB> note
 *   S <TAB> engine <TAB> layer <TAB> N <TAB> reason  skipped
 */
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cblas.h>
#include <omp.h>

#ifdef WITH_DNNL
#include <dnnl.h>
#endif
#ifdef WITH_XNNPACK
#include <pthreadpool.h>
#include <xnnpack.h>
#endif
#ifdef WITH_CNNFILT
#include <cnnfilt.h>
#endif

/* OpenBLAS extensions, declared here because not every cblas.h has them. */
extern void  openblas_set_num_threads (int);
extern int   openblas_get_num_threads (void);
extern char *openblas_get_config (void);
extern char *openblas_get_corename (void);

typedef struct {
  char name[64];
  int  N, C, H, W, O, kh, kw, stride, pad, count;
  int  Ho, Wo;
} Shape;

static double opt_min_time = 0.5;
static int    opt_min_reps = 5;
static int    opt_threads  = 2;
static int    opt_batch    = 0;      /* 0: every row; else rows with this N */
static const char *opt_engines = NULL;
static const char *opt_only = NULL;  /* substring filter on layer names */

/* ------------------------------------------------------------------ utils */

static double
now (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void *
xmalloc (size_t n)
{
  void *p = NULL;
  if (posix_memalign (&p, 64, n ? n : 64) != 0) {
    fprintf (stderr, "engines: out of memory (%zu bytes)\n", n);
    exit (2);
  }
  return p;
}

static uint64_t rng_state;
static float
frand (void)  /* uniform in [-1, 1), xorshift64* */
{
  rng_state ^= rng_state >> 12;
  rng_state ^= rng_state << 25;
  rng_state ^= rng_state >> 27;
  uint64_t r = rng_state * 2685821657736338717ULL;
  return (float) ((r >> 40) * (1.0 / 16777216.0)) * 2.0f - 1.0f;
}

static int
cmp_double (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return (x > y) - (x < y);
}

static double
flops_of (const Shape *s)
{
  return 2.0 * s->N * s->O * s->C * s->kh * s->kw * (double) s->Ho * s->Wo;
}

typedef void (*RunFn) (void *ctx);

/* Warm-up (2 runs or 0.1 s), then at least opt_min_reps runs and
 * opt_min_time seconds; returns the median seconds, *reps_out the count. */
static double
time_it (RunFn fn, void *ctx, int *reps_out)
{
  double t0 = now ();
  for (int i = 0; i < 2 || now () - t0 < 0.1; i++) fn (ctx);
  int cap = 100000, n = 0;
  double *t = malloc (cap * sizeof *t);
  double start = now ();
  while (n < opt_min_reps || now () - start < opt_min_time) {
    double a = now ();
    fn (ctx);
    t[n++] = now () - a;
    if (n == cap) break;
  }
  qsort (t, n, sizeof *t, cmp_double);
  double med = (n % 2) ? t[n / 2] : 0.5 * (t[n / 2 - 1] + t[n / 2]);
  free (t);
  *reps_out = n;
  return med;
}

static double
rel_err (const float *ref, const float *got, size_t n)
{
  double maxref = 0, maxdiff = 0;
  for (size_t i = 0; i < n; i++) {
    double r = fabs (ref[i]), d = fabs ((double) ref[i] - got[i]);
    if (r > maxref) maxref = r;
    if (d > maxdiff || isnan (d)) maxdiff = isnan (d) ? INFINITY : d;
  }
  return maxref > 0 ? maxdiff / maxref : maxdiff;
}

static void
report (const char *engine, const Shape *s, double secs, int reps, double err, const char *note)
{
  printf ("R\t%s\t%s\t%d\t%.4f\t%.2f\t%d\t%.2e\t%s\n", engine, s->name, s->N, secs * 1e3,
          flops_of (s) / secs * 1e-9, reps, err, note ? note : "");
  fflush (stdout);
}

static void
skip (const char *engine, const Shape *s, const char *why)
{
  printf ("S\t%s\t%s\t%d\t%s\n", engine, s->name, s->N, why);
  fflush (stdout);
}

static void
info (const char *engine, const char *key, const char *value)
{
  printf ("I\t%s\t%s\t%s\n", engine, key, value);
  fflush (stdout);
}

/* The layer's data, shared by every engine: NCHW input, OIHW weights, bias,
 * and the reference NCHW output (from `blas`). */
typedef struct {
  const Shape *s;
  float *x, *w, *b, *ref;
  size_t nx, nw, ny;
} Layer;

/* ------------------------------------------------------------ im2col+gemm */

/* col[(c*kh+i)*kw+j][oy*Wo+ox] = x[c][oy*s-p+i][ox*s-p+j] (0 outside) for
 * channels [c0, c1). */
static void
im2col (const Shape *s, const float *x, float *col, int c0, int c1)
{
  const int H = s->H, W = s->W, Ho = s->Ho, Wo = s->Wo, st = s->stride, p = s->pad;
  for (int c = c0; c < c1; c++)
    for (int i = 0; i < s->kh; i++)
      for (int j = 0; j < s->kw; j++) {
        float *dst = col + ((size_t) (c * s->kh + i) * s->kw + j) * Ho * Wo;
        const float *src = x + (size_t) c * H * W;
        /* output columns ox whose input column ix = ox*st - p + j is inside */
        int ox0 = 0, ox1 = Wo;
        while (ox0 < Wo && ox0 * st - p + j < 0) ox0++;
        while (ox1 > ox0 && (ox1 - 1) * st - p + j >= W) ox1--;
        for (int oy = 0; oy < Ho; oy++, dst += Wo) {
          int iy = oy * st - p + i;
          if (iy < 0 || iy >= H) { memset (dst, 0, Wo * sizeof *dst); continue; }
          const float *row = src + (size_t) iy * W;
          for (int ox = 0; ox < ox0; ox++) dst[ox] = 0;
          if (st == 1)
            memcpy (dst + ox0, row + ox0 - p + j, (ox1 - ox0) * sizeof *dst);
          else
            for (int ox = ox0; ox < ox1; ox++) dst[ox] = row[ox * st - p + j];
          for (int ox = ox1; ox < Wo; ox++) dst[ox] = 0;
        }
      }
}

static int
is_pointwise (const Shape *s)
{
  return s->kh == 1 && s->kw == 1 && s->stride == 1 && s->pad == 0;
}

/* One image: y (O x Ho*Wo) = w (O x K) * col (K x Ho*Wo) + b. */
static void
gemm_image (const Shape *s, const float *w, const float *b, const float *col, float *y)
{
  const int K = s->C * s->kh * s->kw, M = s->O, P = s->Ho * s->Wo;
  for (int o = 0; o < M; o++) {
    float *yo = y + (size_t) o * P;
    for (int q = 0; q < P; q++) yo[q] = b[o];
  }
  cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasNoTrans, M, P, K, 1.0f, w, K, col, P, 1.0f, y, P);
}

typedef struct {
  Layer *L;
  float *y;
  float *col[16];       /* one per thread for blas-split */
  int    nthreads;
} BlasCtx;

static void
run_blas (void *p)
{
  BlasCtx *c = p;
  const Shape *s = c->L->s;
  size_t xs = (size_t) s->C * s->H * s->W, ys = (size_t) s->O * s->Ho * s->Wo;
  for (int n = 0; n < s->N; n++) {
    const float *x = c->L->x + n * xs;
    const float *col = x;
    if (!is_pointwise (s)) {
      im2col (s, x, c->col[0], 0, s->C);
      col = c->col[0];
    }
    gemm_image (s, c->L->w, c->L->b, col, c->y + n * ys);
  }
}

typedef struct { BlasCtx *c; int t; } SplitArg;

static void *
split_worker (void *p)
{
  SplitArg *a = p;
  const Shape *s = a->c->L->s;
  size_t xs = (size_t) s->C * s->H * s->W, ys = (size_t) s->O * s->Ho * s->Wo;
  int per = (s->N + a->c->nthreads - 1) / a->c->nthreads;
  int n0 = a->t * per, n1 = n0 + per < s->N ? n0 + per : s->N;
  for (int n = n0; n < n1; n++) {
    const float *x = a->c->L->x + n * xs, *col = x;
    if (!is_pointwise (s)) {
      im2col (s, x, a->c->col[a->t], 0, s->C);
      col = a->c->col[a->t];
    }
    gemm_image (s, a->c->L->w, a->c->L->b, col, a->c->y + n * ys);
  }
  return NULL;
}

static void
run_blas_split (void *p)
{
  BlasCtx *c = p;
  pthread_t th[16];
  SplitArg args[16];
  for (int t = 0; t < c->nthreads; t++) {
    args[t] = (SplitArg) { c, t };
    pthread_create (&th[t], NULL, split_worker, &args[t]);
  }
  for (int t = 0; t < c->nthreads; t++) pthread_join (th[t], NULL);
}

/* The reference output, with single-threaded OpenBLAS so that no OpenBLAS
 * worker is left spinning on the second core when another engine starts. */
static void
compute_ref (Layer *L)
{
  const Shape *s = L->s;
  size_t xs = (size_t) s->C * s->H * s->W, ys = (size_t) s->O * s->Ho * s->Wo;
  float *col = is_pointwise (s) ? NULL
             : xmalloc ((size_t) s->C * s->kh * s->kw * s->Ho * s->Wo * sizeof (float));
  L->ref = xmalloc (L->ny * sizeof (float));
  openblas_set_num_threads (1);
  for (int n = 0; n < s->N; n++) {
    const float *x = L->x + n * xs;
    if (col) im2col (s, x, col, 0, s->C);
    gemm_image (s, L->w, L->b, col ? col : x, L->ref + n * ys);
  }
  openblas_set_num_threads (opt_threads);
  free (col);
}

static void
engine_blas (Layer *L, int split)
{
  const Shape *s = L->s;
  const char *name = split ? "blas-split" : "blas";
  if (split && s->N < 2) { skip (name, s, "needs N >= 2"); return; }
  BlasCtx c = { .L = L, .nthreads = opt_threads };
  size_t colsz = (size_t) s->C * s->kh * s->kw * s->Ho * s->Wo;
  int ncol = split ? opt_threads : 1;
  for (int t = 0; t < ncol; t++) c.col[t] = is_pointwise (s) ? NULL : xmalloc (colsz * sizeof (float));
  c.y = xmalloc (L->ny * sizeof (float));
  openblas_set_num_threads (split ? 1 : opt_threads);
  RunFn fn = split ? run_blas_split : run_blas;
  fn (&c);
  double err = rel_err (L->ref, c.y, L->ny);
  int reps;
  double t = time_it (fn, &c, &reps);
  report (name, s, t, reps, err, is_pointwise (s) ? "1x1 s1: no im2col" : NULL);
  openblas_set_num_threads (opt_threads);
  for (int i = 0; i < ncol; i++) free (c.col[i]);
  free (c.y);
}

/* SGEMM peak of this machine with opt_threads threads (square 2048). */
static void
sgemm_peak (void)
{
  const int n = 2048;
  float *a = xmalloc ((size_t) n * n * 4), *b = xmalloc ((size_t) n * n * 4), *c = xmalloc ((size_t) n * n * 4);
  for (size_t i = 0; i < (size_t) n * n; i++) { a[i] = frand (); b[i] = frand (); c[i] = 0; }
  double best = 1e30, t[7];
  for (int r = 0; r < 7; r++) {
    double t0 = now ();
    cblas_sgemm (CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0f, a, n, b, n, 0.0f, c, n);
    t[r] = now () - t0;
    if (t[r] < best) best = t[r];
  }
  qsort (t, 7, sizeof *t, cmp_double);
  char buf[160];
  snprintf (buf, sizeof buf, "%.1f GFLOP/s median, %.1f best (2048^3, %d threads)",
            2.0 * n * n * n / t[3] * 1e-9, 2.0 * n * n * n / best * 1e-9, opt_threads);
  info ("blas", "sgemm_peak", buf);
  free (a); free (b); free (c);
}

/* ------------------------------------------------------------------ oneDNN */
#ifdef WITH_DNNL
static dnnl_engine_t dnnl_eng;
static dnnl_stream_t dnnl_strm;

#define DN(call) do { dnnl_status_t st_ = (call); if (st_ != dnnl_success) { \
  fprintf (stderr, "engines: %s failed: status %d (line %d)\n", #call, (int) st_, __LINE__); \
  goto fail; } } while (0)

/* dnnl_memory_get_data_handle in a form usable in an expression */
static void *
dnnl_memory_get_data_handle_ptr (dnnl_memory_t m)
{
  void *h = NULL;
  dnnl_memory_get_data_handle (m, &h);
  return h;
}

typedef struct {
  dnnl_primitive_t conv, rsrc, rdst;   /* rsrc/rdst NULL when formats equal */
  dnnl_memory_t usrc, udst, csrc, cwei, cbias, cdst;
  int with_reorder;
} DnnlCtx;

static void
run_dnnl (void *p)
{
  DnnlCtx *c = p;
  if (c->with_reorder && c->rsrc) {
    dnnl_exec_arg_t a[2] = { { DNNL_ARG_FROM, c->usrc }, { DNNL_ARG_TO, c->csrc } };
    dnnl_primitive_execute (c->rsrc, dnnl_strm, 2, a);
  }
  dnnl_exec_arg_t args[4] = { { DNNL_ARG_SRC, c->csrc }, { DNNL_ARG_WEIGHTS, c->cwei },
                              { DNNL_ARG_BIAS, c->cbias }, { DNNL_ARG_DST, c->cdst } };
  dnnl_primitive_execute (c->conv, dnnl_strm, 4, args);
  if (c->with_reorder && c->rdst) {
    dnnl_exec_arg_t a[2] = { { DNNL_ARG_FROM, c->cdst }, { DNNL_ARG_TO, c->udst } };
    dnnl_primitive_execute (c->rdst, dnnl_strm, 2, a);
  }
  dnnl_stream_wait (dnnl_strm);
}

static int
make_reorder (const dnnl_memory_desc_t *from, const dnnl_memory_desc_t *to,
              dnnl_primitive_t *out)
{
  dnnl_primitive_desc_t rpd;
  *out = NULL;
  if (dnnl_memory_desc_equal (from, to)) return 0;
  if (dnnl_reorder_primitive_desc_create (&rpd, from, dnnl_eng, to, dnnl_eng, NULL) != dnnl_success)
    return -1;
  dnnl_status_t st = dnnl_primitive_create (out, rpd);
  dnnl_primitive_desc_destroy (rpd);
  return st == dnnl_success ? 0 : -1;
}

static void
reorder_now (dnnl_primitive_t r, dnnl_memory_t from, dnnl_memory_t to)
{
  dnnl_exec_arg_t a[2] = { { DNNL_ARG_FROM, from }, { DNNL_ARG_TO, to } };
  dnnl_primitive_execute (r, dnnl_strm, 2, a);
  dnnl_stream_wait (dnnl_strm);
}

/* oneDNN-style tag of a blocked descriptor: dims ordered by stride ("acdb" =
 * NHWC), then inner blocks in upper case ("aBcd16b" = nChw16c). */
static const char *
md_tag (const dnnl_memory_desc_t *md, char *buf, size_t n)
{
  if (md->format_kind != dnnl_blocked) { snprintf (buf, n, "?"); return buf; }
  const dnnl_blocking_desc_t *bd = &md->format_desc.blocking;
  int nd = md->ndims, order[DNNL_MAX_NDIMS], blocked[DNNL_MAX_NDIMS] = { 0 }, pos = 0;
  for (int i = 0; i < nd; i++) order[i] = i;
  for (int i = 0; i < nd; i++)            /* stable sort by stride, descending */
    for (int j = i + 1; j < nd; j++)
      if (bd->strides[order[j]] > bd->strides[order[i]]) { int t = order[i]; order[i] = order[j]; order[j] = t; }
  for (int i = 0; i < bd->inner_nblks; i++) blocked[bd->inner_idxs[i]] = 1;
  for (int i = 0; i < nd && pos < (int) n - 1; i++)
    buf[pos++] = (blocked[order[i]] ? 'A' : 'a') + order[i];
  buf[pos] = 0;
  for (int i = 0; i < bd->inner_nblks; i++)
    pos += snprintf (buf + pos, n - pos, "%lld%c", (long long) bd->inner_blks[i], 'a' + (int) bd->inner_idxs[i]);
  return buf;
}

/* variant: 0 dnnl, 1 dnnl-reorder, 2 dnnl-auto */
static void
engine_dnnl (Layer *L, int variant)
{
  static const char *names[] = { "dnnl", "dnnl-reorder", "dnnl-auto" };
  const char *name = names[variant];
  const Shape *s = L->s;
  dnnl_dims_t sd = { s->N, s->C, s->H, s->W }, wd = { s->O, s->C, s->kh, s->kw },
              bd = { s->O }, dd = { s->N, s->O, s->Ho, s->Wo };
  dnnl_dims_t strides = { s->stride, s->stride }, pad = { s->pad, s->pad };
  dnnl_memory_desc_t src_any, wei_any, bias_md, dst_any, src_u, wei_u, dst_u;
  dnnl_convolution_desc_t cd;
  dnnl_primitive_desc_t pd = NULL;
  DnnlCtx c = { 0 };
  dnnl_memory_t uwei = NULL;
  dnnl_primitive_t rwei = NULL;
  float *y = NULL;
  char note[512];

  DN (dnnl_memory_desc_init_by_tag (&src_any, 4, sd, dnnl_f32, dnnl_format_tag_any));
  DN (dnnl_memory_desc_init_by_tag (&wei_any, 4, wd, dnnl_f32, dnnl_format_tag_any));
  DN (dnnl_memory_desc_init_by_tag (&dst_any, 4, dd, dnnl_f32, dnnl_format_tag_any));
  DN (dnnl_memory_desc_init_by_tag (&bias_md, 1, bd, dnnl_f32, dnnl_a));
  DN (dnnl_memory_desc_init_by_tag (&src_u, 4, sd, dnnl_f32, dnnl_nchw));
  DN (dnnl_memory_desc_init_by_tag (&wei_u, 4, wd, dnnl_f32, dnnl_oihw));
  DN (dnnl_memory_desc_init_by_tag (&dst_u, 4, dd, dnnl_f32, dnnl_nchw));
  DN (dnnl_convolution_forward_desc_init (&cd, dnnl_forward_inference,
        variant == 2 ? dnnl_convolution_auto : dnnl_convolution_direct,
        &src_any, &wei_any, &bias_md, &dst_any, strides, pad, pad));
  DN (dnnl_primitive_desc_create (&pd, &cd, NULL, dnnl_eng, NULL));
  const char *impl = "?";
  DN (dnnl_primitive_desc_query (pd, dnnl_query_impl_info_str, 0, &impl));
  const dnnl_memory_desc_t *csrc_md = dnnl_primitive_desc_query_md (pd, dnnl_query_src_md, 0);
  const dnnl_memory_desc_t *cwei_md = dnnl_primitive_desc_query_md (pd, dnnl_query_weights_md, 0);
  const dnnl_memory_desc_t *cdst_md = dnnl_primitive_desc_query_md (pd, dnnl_query_dst_md, 0);
  char t1[64], t2[64], t3[64];
  snprintf (note, sizeof note, "impl=%s src=%s wei=%s dst=%s", impl, md_tag (csrc_md, t1, sizeof t1),
            md_tag (cwei_md, t2, sizeof t2), md_tag (cdst_md, t3, sizeof t3));
  DN (dnnl_primitive_create (&c.conv, pd));

  /* user memories over our NCHW / OIHW arrays */
  y = xmalloc (L->ny * sizeof (float));
  DN (dnnl_memory_create (&c.usrc, &src_u, dnnl_eng, L->x));
  DN (dnnl_memory_create (&uwei, &wei_u, dnnl_eng, L->w));
  DN (dnnl_memory_create (&c.udst, &dst_u, dnnl_eng, y));
  DN (dnnl_memory_create (&c.cbias, &bias_md, dnnl_eng, L->b));
  DN (dnnl_memory_create (&c.csrc, csrc_md, dnnl_eng, DNNL_MEMORY_ALLOCATE));
  DN (dnnl_memory_create (&c.cwei, cwei_md, dnnl_eng, DNNL_MEMORY_ALLOCATE));
  DN (dnnl_memory_create (&c.cdst, cdst_md, dnnl_eng, DNNL_MEMORY_ALLOCATE));
  if (make_reorder (&src_u, csrc_md, &c.rsrc) || make_reorder (&wei_u, cwei_md, &rwei) ||
      make_reorder (cdst_md, &dst_u, &c.rdst)) {
    skip (name, s, "reorder primitive creation failed");
    goto done;
  }
  /* weights packed once (prepare time), source put in the conv's layout once */
  if (rwei) reorder_now (rwei, uwei, c.cwei);
  else memcpy (dnnl_memory_get_data_handle_ptr (c.cwei), L->w, L->nw * sizeof (float));
  if (c.rsrc) reorder_now (c.rsrc, c.usrc, c.csrc);
  else memcpy (dnnl_memory_get_data_handle_ptr (c.csrc), L->x, L->nx * sizeof (float));

  c.with_reorder = 1;            /* one checked run through the NCHW output */
  run_dnnl (&c);
  if (!c.rdst) memcpy (y, dnnl_memory_get_data_handle_ptr (c.cdst), L->ny * sizeof (float));
  double err = rel_err (L->ref, y, L->ny);
  c.with_reorder = (variant == 1);
  int reps;
  double t = time_it (run_dnnl, &c, &reps);
  report (name, s, t, reps, err, note);
  goto done;
fail:
  skip (name, s, "oneDNN call failed (see stderr)");
done:
  if (pd) dnnl_primitive_desc_destroy (pd);
  if (c.conv) dnnl_primitive_destroy (c.conv);
  if (c.rsrc) dnnl_primitive_destroy (c.rsrc);
  if (c.rdst) dnnl_primitive_destroy (c.rdst);
  if (rwei) dnnl_primitive_destroy (rwei);
  dnnl_memory_t mems[] = { c.usrc, c.udst, c.csrc, c.cwei, c.cbias, c.cdst, uwei };
  for (size_t i = 0; i < sizeof mems / sizeof *mems; i++) if (mems[i]) dnnl_memory_destroy (mems[i]);
  free (y);
}

#endif

/* ----------------------------------------------------------------- XNNPACK */
#ifdef WITH_XNNPACK
static pthreadpool_t xnn_pool;

typedef struct { xnn_operator_t op; } XnnCtx;

static void
run_xnn (void *p)
{
  XnnCtx *c = p;
  xnn_run_operator (c->op, xnn_pool);
}

static void
engine_xnnpack (Layer *L)
{
  const Shape *s = L->s;
  const int C = s->C, H = s->H, W = s->W, O = s->O, K = s->kh * s->kw, P = s->Ho * s->Wo;
  float *xh = xmalloc (L->nx * sizeof (float)), *wh = xmalloc (L->nw * sizeof (float));
  float *yh = xmalloc (L->ny * sizeof (float)), *y = xmalloc (L->ny * sizeof (float));
  for (int n = 0; n < s->N; n++)          /* NCHW -> NHWC, outside the timing */
    for (int c = 0; c < C; c++)
      for (int q = 0; q < H * W; q++)
        xh[((size_t) n * H * W + q) * C + c] = L->x[((size_t) n * C + c) * H * W + q];
  for (int o = 0; o < O; o++)             /* OIHW -> OHWI */
    for (int c = 0; c < C; c++)
      for (int k = 0; k < K; k++)
        wh[((size_t) o * K + k) * C + c] = L->w[((size_t) o * C + c) * K + k];
  XnnCtx c = { NULL };
  enum xnn_status st = xnn_create_convolution2d_nhwc_f32 (
      s->pad, s->pad, s->pad, s->pad, s->kh, s->kw, s->stride, s->stride, 1, 1,
      1, C, O, C, O, wh, L->b, -INFINITY, INFINITY, 0, &c.op);
  if (st == xnn_status_success)
    st = xnn_setup_convolution2d_nhwc_f32 (c.op, s->N, H, W, xh, yh, xnn_pool);
  if (st != xnn_status_success) {
    char why[64];
    snprintf (why, sizeof why, "xnn create/setup failed: status %d", (int) st);
    skip ("xnnpack", s, why);
  } else {
    run_xnn (&c);
    for (int n = 0; n < s->N; n++)
      for (int o = 0; o < O; o++)
        for (int q = 0; q < P; q++)
          y[((size_t) n * O + o) * P + q] = yh[((size_t) n * P + q) * O + o];
    double err = rel_err (L->ref, y, L->ny);
    int reps;
    double t = time_it (run_xnn, &c, &reps);
    report ("xnnpack", s, t, reps, err, "NHWC in/out, OHWI weights packed at create");
  }
  if (c.op) xnn_delete_operator (c.op);
  free (xh); free (wh); free (yh); free (y);
}
#endif

/* ----------------------------------------------------------------- cnnfilt */
#ifdef WITH_CNNFILT
typedef struct { CnnfiltOp *op; CnnfiltTensor *in, *out; } CfCtx;

static void
run_cnnfilt (void *p)
{
  CfCtx *c = p;
  GError *error = NULL;
  if (!cnnfilt_op_run (c->op, &c->in, 1, c->out, &error)) {
    fprintf (stderr, "engines: cnnfilt_op_run: %s\n", error->message);
    exit (3);
  }
}

static int cnnfilt_ready = -1;

static void
engine_cnnfilt (Layer *L)
{
  const Shape *s = L->s;
  GError *error = NULL;
  CfCtx c = { NULL };
  CnnfiltTensor *w = NULL, *b = NULL;
  char why[512] = "";

  if (cnnfilt_ready < 0) {
    cnnfilt_ready = cnnfilt_init (&error) ? 1 : 0;
    if (!cnnfilt_ready) {
      fprintf (stderr, "engines: cnnfilt_init: %s\n", error->message);
      g_clear_error (&error);
    }
  }
  if (!cnnfilt_ready) { skip ("cnnfilt", s, "cnnfilt_init failed"); return; }
  c.op = cnnfilt_op_new ("conv2d", &error);
  if (c.op == NULL) goto err;
  w = cnnfilt_tensor_new_from_data (L->w, L->nw, s->O, s->C, s->kh, s->kw, &error);
  if (w == NULL) goto err;
  b = cnnfilt_tensor_new_from_data (L->b, s->O, s->O, 1, 1, 1, &error);
  if (b == NULL) goto err;
  const char *need[] = { "weights", "bias", "stride-h", "stride-w", "pad-top", "pad-left",
                         "pad-bottom", "pad-right" };
  for (size_t i = 0; i < G_N_ELEMENTS (need); i++)
    if (!g_object_class_find_property (G_OBJECT_GET_CLASS (c.op), need[i])) {
      snprintf (why, sizeof why, "conv2d has no property '%s' yet", need[i]);
      skip ("cnnfilt", s, why);
      goto done;
    }
  g_object_set (c.op, "weights", w, "bias", b, NULL);
  char v[16];
  snprintf (v, sizeof v, "%d", s->stride);
  const char *sprops[] = { "stride-h", "stride-w" };
  for (int i = 0; i < 2; i++)
    if (!cnnfilt_op_set_property_from_string (c.op, sprops[i], v, &error)) goto err;
  snprintf (v, sizeof v, "%d", s->pad);
  const char *pprops[] = { "pad-top", "pad-left", "pad-bottom", "pad-right" };
  for (int i = 0; i < 4; i++)
    if (!cnnfilt_op_set_property_from_string (c.op, pprops[i], v, &error)) goto err;
  if (!cnnfilt_op_validate (c.op, &error)) goto err;
  CnnfiltShape ishape = { 0 }, oshape = { 0 };
  c.in = cnnfilt_tensor_new_from_data (L->x, L->nx, s->N, s->C, s->H, s->W, &error);
  if (c.in == NULL) goto err;
  cnnfilt_tensor_get_shape (c.in, &ishape);
  if (!cnnfilt_op_infer (c.op, &ishape, 1, &oshape, &error)) goto err;
  if (cnnfilt_shape_get_size (&oshape) != L->ny) {
    snprintf (why, sizeof why, "inferred output size %zu, expected %zu",
              cnnfilt_shape_get_size (&oshape), L->ny);
    skip ("cnnfilt", s, why);
    goto done;
  }
  c.out = cnnfilt_tensor_new (s->N, s->O, s->Ho, s->Wo, &error);
  if (c.out == NULL) goto err;
  if (!cnnfilt_op_run (c.op, &c.in, 1, c.out, &error)) goto err;
  gsize n = 0;
  const gfloat *y = cnnfilt_tensor_get_data (c.out, &n);
  double e = (n == L->ny) ? rel_err (L->ref, y, L->ny) : INFINITY;
  int reps;
  double t = time_it (run_cnnfilt, &c, &reps);
  report ("cnnfilt", s, t, reps, e, "conv2d op, NCHW CnnfiltTensor, preallocated output");
  goto done;
err:
  snprintf (why, sizeof why, "%s", error ? error->message : "unknown error");
  for (char *q = why; *q; q++) if (*q == '\t' || *q == '\n') *q = ' ';
  skip ("cnnfilt", s, why);
  g_clear_error (&error);
done:
  if (c.op) g_object_unref (c.op);
  if (c.in) g_object_unref (c.in);
  if (c.out) g_object_unref (c.out);
  if (w) g_object_unref (w);
  if (b) g_object_unref (b);
}
#endif

/* -------------------------------------------------------------------- main */

static int
engine_selected (const char *name)
{
  if (opt_engines == NULL) return 1;
  size_t n = strlen (name);
  for (const char *p = opt_engines; *p;) {
    const char *e = strchr (p, ',');
    size_t len = e ? (size_t) (e - p) : strlen (p);
    if (len == n && strncmp (p, name, n) == 0) return 1;
    p += len + (e ? 1 : 0);
  }
  return 0;
}

static int
read_shapes (const char *path, Shape *out, int max)
{
  FILE *f = fopen (path, "r");
  if (!f) { fprintf (stderr, "engines: %s: %s\n", path, strerror (errno)); exit (2); }
  char line[512];
  int n = 0;
  while (fgets (line, sizeof line, f) && n < max) {
    Shape s;
    if (line[0] == '#') continue;
    if (sscanf (line, "%63s %d %d %d %d %d %d %d %d %d %d", s.name, &s.N, &s.C, &s.H, &s.W,
                &s.O, &s.kh, &s.kw, &s.stride, &s.pad, &s.count) != 11) continue;
    s.Ho = (s.H + 2 * s.pad - s.kh) / s.stride + 1;
    s.Wo = (s.W + 2 * s.pad - s.kw) / s.stride + 1;
    out[n++] = s;
  }
  fclose (f);
  return n;
}

int
main (int argc, char **argv)
{
  const char *shapes_path = NULL;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (!strcmp (a, "--min-time") && i + 1 < argc) opt_min_time = atof (argv[++i]);
    else if (!strcmp (a, "--min-reps") && i + 1 < argc) opt_min_reps = atoi (argv[++i]);
    else if (!strcmp (a, "--threads") && i + 1 < argc) opt_threads = atoi (argv[++i]);
    else if (!strcmp (a, "--batch") && i + 1 < argc) opt_batch = atoi (argv[++i]);
    else if (!strcmp (a, "--engines") && i + 1 < argc) opt_engines = argv[++i];
    else if (!strcmp (a, "--only") && i + 1 < argc) opt_only = argv[++i];
    else if (a[0] != '-' && !shapes_path) shapes_path = a;
    else {
      fprintf (stderr, "usage: engines [--engines LIST] [--threads 2] [--batch N] [--only SUBSTR]\n"
                       "               [--min-time 0.5] [--min-reps 5] SHAPES\n");
      return 2;
    }
  }
  if (!shapes_path || opt_threads < 1 || opt_threads > 16) {
    fprintf (stderr, "engines: need a shapes file (and 1 <= --threads <= 16)\n");
    return 2;
  }
  static Shape shapes[256];
  int nshapes = read_shapes (shapes_path, shapes, 256);

  char buf[512];
  openblas_set_num_threads (opt_threads);
  omp_set_num_threads (opt_threads);
  snprintf (buf, sizeof buf, "%d", opt_threads);
  info ("all", "threads", buf);
  const char *ct = getenv ("OPENBLAS_CORETYPE");
  info ("blas", "OPENBLAS_CORETYPE", ct ? ct : "(unset)");
  info ("blas", "openblas_get_config", openblas_get_config ());
  info ("blas", "openblas_get_corename", openblas_get_corename ());
  snprintf (buf, sizeof buf, "%d", openblas_get_num_threads ());
  info ("blas", "openblas_get_num_threads", buf);
  if (engine_selected ("blas")) sgemm_peak ();

#ifdef WITH_DNNL
  const dnnl_version_t *v = dnnl_version ();
  snprintf (buf, sizeof buf, "%d.%d.%d (hash %s), cpu_runtime=%s", v->major, v->minor, v->patch,
            v->hash, v->cpu_runtime == DNNL_RUNTIME_OMP ? "OpenMP" :
                     v->cpu_runtime == DNNL_RUNTIME_TBB ? "TBB" : "other");
  info ("dnnl", "version", buf);
  int isa = (int) dnnl_get_effective_cpu_isa ();
  snprintf (buf, sizeof buf, "0x%x (%s)", isa,
            isa == dnnl_cpu_isa_avx512_core_amx ? "avx512_core_amx" :
            isa == dnnl_cpu_isa_avx512_core_bf16 ? "avx512_core_bf16" :
            isa == dnnl_cpu_isa_avx512_core_vnni ? "avx512_core_vnni" :
            isa == dnnl_cpu_isa_avx512_core ? "avx512_core" :
            isa == dnnl_cpu_isa_avx2 ? "avx2" : "other");
  info ("dnnl", "effective_cpu_isa", buf);
  snprintf (buf, sizeof buf, "%d", omp_get_max_threads ());
  info ("dnnl", "omp_get_max_threads", buf);
  if (dnnl_engine_create (&dnnl_eng, dnnl_cpu, 0) != dnnl_success ||
      dnnl_stream_create (&dnnl_strm, dnnl_eng, dnnl_stream_default_flags) != dnnl_success) {
    fprintf (stderr, "engines: oneDNN engine creation failed\n");
    return 1;
  }
#else
  if (engine_selected ("dnnl")) info ("dnnl", "version", "not built");
#endif
#ifdef WITH_XNNPACK
  if (xnn_initialize (NULL) != xnn_status_success) {
    fprintf (stderr, "engines: xnn_initialize failed\n");
    return 1;
  }
  xnn_pool = pthreadpool_create (opt_threads);
  snprintf (buf, sizeof buf, "pthreadpool of %zu threads", pthreadpool_get_threads_count (xnn_pool));
  info ("xnnpack", "threads", buf);
#else
  if (engine_selected ("xnnpack")) info ("xnnpack", "version", "not built");
#endif
#ifdef WITH_CNNFILT
  info ("cnnfilt", "version", "built against the library (see run.sh)");
#endif

  for (int i = 0; i < nshapes; i++) {
    Shape *s = &shapes[i];
    if (opt_batch && s->N != opt_batch) continue;
    if (opt_only && !strstr (s->name, opt_only)) continue;
    Layer L = { .s = s };
    L.nx = (size_t) s->N * s->C * s->H * s->W;
    L.nw = (size_t) s->O * s->C * s->kh * s->kw;
    L.ny = (size_t) s->N * s->O * s->Ho * s->Wo;
    L.x = xmalloc (L.nx * sizeof (float));
    L.w = xmalloc (L.nw * sizeof (float));
    L.b = xmalloc (s->O * sizeof (float));
    rng_state = 0x9E3779B97F4A7C15ULL ^ (uint64_t) i;
    for (size_t k = 0; k < L.nx; k++) L.x[k] = frand ();
    float ws = 1.0f / sqrtf ((float) (s->C * s->kh * s->kw));
    for (size_t k = 0; k < L.nw; k++) L.w[k] = frand () * ws;
    for (int k = 0; k < s->O; k++) L.b[k] = frand () * 0.1f;

    compute_ref (&L);
    if (engine_selected ("blas")) engine_blas (&L, 0);
    if (engine_selected ("blas-split")) engine_blas (&L, 1);
#ifdef WITH_DNNL
    if (engine_selected ("dnnl")) engine_dnnl (&L, 0);
    if (engine_selected ("dnnl-reorder")) engine_dnnl (&L, 1);
    if (engine_selected ("dnnl-auto")) engine_dnnl (&L, 2);
#endif
#ifdef WITH_XNNPACK
    if (engine_selected ("xnnpack")) engine_xnnpack (&L);
#endif
#ifdef WITH_CNNFILT
    if (engine_selected ("cnnfilt")) engine_cnnfilt (&L);
#endif
    free (L.x); free (L.w); free (L.b); free (L.ref);
  }
#ifdef WITH_XNNPACK
  pthreadpool_destroy (xnn_pool);
#endif
  return 0;
}
