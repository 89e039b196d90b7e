/* filter.c: the base of the classic plugin's kernel filters
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include "filter.h"

#include <math.h>
#include <string.h>

FilterKernel *
filter_kernel_new (guint kh, guint kw, const gfloat *values)
{
  FilterKernel *kernel = g_new0 (FilterKernel, 1);
  kernel->kh = kh;
  kernel->kw = kw;
  kernel->values = g_memdup2 (values, sizeof (gfloat) * kh * kw);
  return kernel;
}

FilterKernel *
filter_kernel_new_separable (const gfloat *column, guint kh, const gfloat *row, guint kw)
{
  FilterKernel *kernel = g_new0 (FilterKernel, 1);
  kernel->kh = kh;
  kernel->kw = kw;
  kernel->column = g_memdup2 (column, sizeof (gfloat) * kh);
  kernel->row = g_memdup2 (row, sizeof (gfloat) * kw);
  kernel->values = g_new (gfloat, (gsize) kh * kw);
  for (guint i = 0; i < kh; i++)
    for (guint j = 0; j < kw; j++)
      kernel->values[i * kw + j] = column[i] * row[j];
  return kernel;
}

void
filter_kernel_free (FilterKernel *kernel)
{
  if (kernel == NULL)
    return;
  g_free (kernel->values);
  g_free (kernel->row);
  g_free (kernel->column);
  g_free (kernel);
}

/* A few rows kept between output rows, keyed by row index: padded input
 * rows, or rows after the horizontal pass of a separable kernel. Working a
 * row at a time keeps everything in cache instead of streaming whole padded
 * planes through memory once per kernel pass. */
typedef struct {
  gfloat *data;
  gint *key;
  guint n;
  gsize length;
} Ring;

static void
ring_reset (Ring *ring, guint n, gsize length)
{
  if (n * length > ring->n * ring->length)
    {
      g_free (ring->data);
      ring->data = g_new (gfloat, n * length);
    }
  ring->key = g_renew (gint, ring->key, n);
  ring->n = n;
  ring->length = length;
  for (guint i = 0; i < n; i++)
    ring->key[i] = -1;
}

static void
ring_clear (Ring *ring)
{
  g_free (ring->data);
  g_free (ring->key);
}

/* The row for @key, and whether it still has to be computed. */
static gfloat *
ring_row (Ring *ring, guint key, gboolean *fresh)
{
  guint slot = key % ring->n;
  *fresh = ring->key[slot] != (gint) key;
  ring->key[slot] = key;
  return ring->data + slot * ring->length;
}

typedef struct {
  Ring padded;       /* padded input rows */
  Ring pass[2];      /* per kernel: rows after the horizontal pass */
  gfloat *second;    /* one output row of the second kernel */
  gsize second_size;
} Scratch;

typedef struct {
  Scratch scratch; /* grown as needed and kept between runs */
  CnnfiltTensor *cl_rows; /* the row pass of a separable kernel, on the device */
  /* the taps of the last run, kept on the device while they do not change:
   * kernels 0 and 1, or a separable kernel's row and column */
  CnnfiltTensor *cl_taps[2];
  gfloat *cl_taps_copy[2];
} CnnfiltFilterPrivate;

G_DEFINE_DYNAMIC_TYPE_EXTENDED (CnnfiltFilter, cnnfilt_filter, CNNFILT_TYPE_AREA_OP,
                                G_TYPE_FLAG_ABSTRACT, G_ADD_PRIVATE_DYNAMIC (CnnfiltFilter))

void
cnnfilt_filter_register (GTypeModule *module)
{
  cnnfilt_filter_register_type (module);
}

/* Padding per side for a kernel of size k. */
static void
side_padding (gint padding, guint k, guint *before, guint *after)
{
  if (padding < 0)
    {
      *before = (k - 1) / 2;
      *after = k - 1 - *before;
    }
  else
    *before = *after = padding;
}

/* Where padded coordinate i (from -before) reads in a line of n pixels, or
 * -1 for a zero. */
static inline gint
border_source (gint i, gint n, CnnfiltBorder border)
{
  if (i >= 0 && i < n)
    return i;
  switch (border)
    {
    case CNNFILT_BORDER_REPLICATE:
      return i < 0 ? 0 : n - 1;
    case CNNFILT_BORDER_REFLECT:
      {
        if (n == 1)
          return 0;
        gint period = 2 * (n - 1);
        gint m = i % period;
        if (m < 0)
          m += period;
        return m < n ? m : period - m;
      }
    case CNNFILT_BORDER_ZERO:
    default:
      return -1;
    }
}

typedef struct {
  guint h, w;          /* input plane */
  guint top, bottom, left, right;
  guint ph, pw;        /* padded plane */
  guint oh, ow;        /* output plane */
} Geometry;

/* The window of kernel @k: its size, the filter's stride, and its padding
 * (-1: centred, the extra row or column of an even kernel at the end). */
static void
filter_window (CnnfiltFilter *self, const FilterKernel *k, CnnfiltWindow *w)
{
  guint top, bottom, left, right;
  side_padding (self->padding, k->kh, &top, &bottom);
  side_padding (self->padding, k->kw, &left, &right);
  *w = (CnnfiltWindow) {
    .kernel_h = k->kh, .kernel_w = k->kw,
    .stride_h = self->stride, .stride_w = self->stride,
    .pad_top = top, .pad_left = left, .pad_bottom = bottom, .pad_right = right,
    .dilation_h = 1, .dilation_w = 1,
    .auto_pad = CNNFILT_AUTO_PAD_NOTSET,
    .border = self->parent_instance.window.border,
  };
}

static gboolean
cnnfilt_filter_resolve (CnnfiltAreaOp *area, CnnfiltWindow *window, GError **error)
{
  CnnfiltFilter *self = CNNFILT_FILTER (area);
  FilterKernel *kernels[2] = { NULL, NULL };
  if (CNNFILT_FILTER_GET_CLASS (self)->make_kernels (self, kernels, error) == 0)
    return FALSE;
  filter_window (self, kernels[0], window);
  filter_kernel_free (kernels[0]);
  filter_kernel_free (kernels[1]);
  return TRUE;
}

/* The geometry of kernel @k on an @h × @w plane. */
static gboolean
filter_geometry (CnnfiltFilter *self, guint h, guint w, const FilterKernel *k, Geometry *g,
                 GError **error)
{
  CnnfiltWindow window;
  CnnfiltWindowPlan plan;
  filter_window (self, k, &window);
  if (h + window.pad_top + window.pad_bottom < k->kh || w + window.pad_left + window.pad_right < k->kw)
    {
      g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_SHAPE,
                   "%s: the %ux%u kernel does not fit in a %ux%u image with padding %d",
                   cnnfilt_op_get_name (CNNFILT_OP (self)), k->kh, k->kw, h, w, self->padding);
      return FALSE;
    }
  if (!cnnfilt_window_plan (&window, h, w, &plan, error))
    {
      g_prefix_error (error, "%s: ", cnnfilt_op_get_name (CNNFILT_OP (self)));
      return FALSE;
    }
  *g = (Geometry) {
    .h = h, .w = w,
    .top = plan.pad_top, .bottom = plan.pad_bottom, .left = plan.pad_left, .right = plan.pad_right,
    .ph = h + plan.pad_top + plan.pad_bottom, .pw = w + plan.pad_left + plan.pad_right,
    .oh = plan.out_h, .ow = plan.out_w,
  };
  return TRUE;
}

/* The area op's infer, with the filter's own message for a kernel that
 * does not fit. */
static gboolean
cnnfilt_filter_infer (CnnfiltOp *op, const CnnfiltShape *inputs, guint n_inputs,
                      CnnfiltShape *output, GError **error)
{
  CnnfiltFilter *self = CNNFILT_FILTER (op);
  FilterKernel *kernels[2] = { NULL, NULL };
  if (CNNFILT_FILTER_GET_CLASS (self)->make_kernels (self, kernels, error) == 0)
    return FALSE;
  Geometry g;
  gboolean ok = filter_geometry (self, inputs[0].h, inputs[0].w, kernels[0], &g, error);
  filter_kernel_free (kernels[0]);
  filter_kernel_free (kernels[1]);
  if (!ok)
    return FALSE;
  *output = (CnnfiltShape) { inputs[0].n, inputs[0].c, g.oh, g.ow };
  return TRUE;
}

/* Inner loops, compiled for AVX2 as well as the baseline and picked at run
 * time. FP contraction is off for the plugin, so both give the same bits. */
#define ROW_LOOP __attribute__ ((target_clones ("avx2", "default")))

ROW_LOOP static void
row_axpy (gfloat *restrict out, const gfloat *restrict in, gfloat tap, guint n, guint stride)
{
  if (stride == 1)
    for (guint x = 0; x < n; x++)
      out[x] += tap * in[x];
  else
    for (guint x = 0; x < n; x++)
      out[x] += tap * in[(gsize) x * stride];
}

ROW_LOOP static void
row_magnitude (gfloat *restrict a, const gfloat *restrict b, guint n)
{
  for (guint x = 0; x < n; x++)
    a[x] = sqrtf (a[x] * a[x] + b[x] * b[x]);
}

/* Padded row @py of plane @in, with the border made up. */
static const gfloat *
padded_row (Scratch *s, const gfloat *in, const Geometry *g, CnnfiltBorder border, guint py)
{
  gboolean fresh;
  gfloat *row = ring_row (&s->padded, py, &fresh);
  if (!fresh)
    return row;
  gint sy = border_source ((gint) py - (gint) g->top, g->h, border);
  if (sy < 0)
    {
      memset (row, 0, sizeof (gfloat) * g->pw);
      return row;
    }
  const gfloat *src = in + (gsize) sy * g->w;
  memcpy (row + g->left, src, sizeof (gfloat) * g->w);
  for (guint x = 0; x < g->left; x++)
    {
      gint sx = border_source ((gint) x - (gint) g->left, g->w, border);
      row[x] = sx < 0 ? 0.0f : src[sx];
    }
  for (guint x = 0; x < g->right; x++)
    {
      gint sx = border_source ((gint) (g->w + x), g->w, border);
      row[g->left + g->w + x] = sx < 0 ? 0.0f : src[sx];
    }
  return row;
}

/* Output row @oy of kernel @k: Σ k[i][j] · padded[oy·s + i][ox·s + j].
 * Separable kernels take kh + kw taps per pixel instead of kh · kw. */
static void
kernel_row (Scratch *s, guint which, const FilterKernel *k, const gfloat *in, const Geometry *g,
            CnnfiltBorder border, guint stride, guint oy, gfloat *out)
{
  gboolean separable = k->row != NULL && k->kh * k->kw > k->kh + k->kw;
  memset (out, 0, sizeof (gfloat) * g->ow);
  for (guint i = 0; i < k->kh; i++)
    {
      guint py = oy * stride + i;
      if (!separable)
        {
          const gfloat *r = padded_row (s, in, g, border, py);
          for (guint j = 0; j < k->kw; j++)
            if (k->values[i * k->kw + j] != 0.0f)
              row_axpy (out, r + j, k->values[i * k->kw + j], g->ow, stride);
          continue;
        }
      if (k->column[i] == 0.0f)
        continue;
      gboolean fresh;
      gfloat *pass = ring_row (&s->pass[which], py, &fresh);
      if (fresh)
        {
          const gfloat *r = padded_row (s, in, g, border, py);
          memset (pass, 0, sizeof (gfloat) * g->ow);
          for (guint j = 0; j < k->kw; j++)
            if (k->row[j] != 0.0f)
              row_axpy (pass, r + j, k->row[j], g->ow, stride);
        }
      row_axpy (out, pass, k->column[i], g->ow, 1);
    }
}

static gboolean
cnnfilt_filter_run (CnnfiltOp *op, const CnnfiltRunContext *ctx,
                    CnnfiltTensor **inputs, guint n_inputs,
                    CnnfiltTensor *output, GError **error)
{
  CnnfiltFilter *self = CNNFILT_FILTER (op);
  CnnfiltFilterPrivate *priv = cnnfilt_filter_get_instance_private (self);
  FilterKernel *kernels[2] = { NULL, NULL };
  guint n_kernels = CNNFILT_FILTER_GET_CLASS (self)->make_kernels (self, kernels, error);
  if (n_kernels == 0)
    return FALSE;
  /* Both kernels of a magnitude have one size, so they share the geometry. */
  g_assert (n_kernels == 1 || (kernels[1]->kh == kernels[0]->kh && kernels[1]->kw == kernels[0]->kw));

  CnnfiltShape shape;
  cnnfilt_tensor_get_shape (inputs[0], &shape);
  Geometry g;
  if (!filter_geometry (self, shape.h, shape.w, kernels[0], &g, error))
    {
      filter_kernel_free (kernels[0]);
      filter_kernel_free (kernels[1]);
      return FALSE;
    }
  Scratch *s = &priv->scratch;
  if (g.ow > s->second_size)
    {
      g_free (s->second);
      s->second = g_new (gfloat, g.ow);
      s->second_size = g.ow;
    }

  for (guint n = 0; n < shape.n; n++)
    for (guint c = 0; c < shape.c; c++)
      {
        const gfloat *in = cnnfilt_tensor_get_plane (inputs[0], n, c);
        gfloat *out = cnnfilt_tensor_get_plane (output, n, c);
        ring_reset (&s->padded, kernels[0]->kh, g.pw);
        for (guint k = 0; k < n_kernels; k++)
          ring_reset (&s->pass[k], kernels[k]->kh, g.ow);
        for (guint oy = 0; oy < g.oh; oy++)
          {
            gfloat *o = out + (gsize) oy * g.ow;
            kernel_row (s, 0, kernels[0], in, &g, self->parent_instance.window.border, self->stride, oy, o);
            if (n_kernels > 1)
              {
                kernel_row (s, 1, kernels[1], in, &g, self->parent_instance.window.border, self->stride, oy, s->second);
                row_magnitude (o, s->second, g.ow);
              }
            if (self->offset != 0.0f)
              for (guint x = 0; x < g.ow; x++)
                o[x] += self->offset;
          }
      }
  filter_kernel_free (kernels[0]);
  filter_kernel_free (kernels[1]);
  return TRUE;
}

/* OpenCL: filter.cl, one correlation kernel for every filter */

/* A tensor of @values in slot @slot: the one of the last run while they
 * are the same (it stays on the device), else a new one. */
static CnnfiltTensor *
taps_tensor (CnnfiltFilter *self, guint slot, const gfloat *values, guint n)
{
  CnnfiltFilterPrivate *priv = cnnfilt_filter_get_instance_private (self);
  if (priv->cl_taps[slot] == NULL || cnnfilt_tensor_get_size (priv->cl_taps[slot]) != n ||
      memcmp (priv->cl_taps_copy[slot], values, n * sizeof (gfloat)) != 0)
    {
      g_clear_object (&priv->cl_taps[slot]);
      g_free (priv->cl_taps_copy[slot]);
      priv->cl_taps[slot] = cnnfilt_tensor_new_from_data (values, n, 1, 1, 1, n, NULL);
      priv->cl_taps_copy[slot] = g_memdup2 (values, n * sizeof (gfloat));
    }
  return g_object_ref (priv->cl_taps[slot]);
}

/* One kernel, or two for a magnitude, tap by tap. */
static gboolean
run_cl_direct (CnnfiltFilter *self, const CnnfiltRunContext *ctx, CnnfiltTensor *in,
               CnnfiltTensor *out, FilterKernel *kernels[2], guint n_kernels, const Geometry *g,
               guint planes, const gchar *source, const gchar *options, guint px, GError **error)
{
  g_autoptr (CnnfiltTensor) k0 = taps_tensor (self, 0, kernels[0]->values,
                                              kernels[0]->kh * kernels[0]->kw);
  g_autoptr (CnnfiltTensor) k1 = n_kernels > 1 ? taps_tensor (self, 1, kernels[1]->values,
                                                              kernels[1]->kh * kernels[1]->kw)
                                               : g_object_ref (k0);
  const CnnfiltKernelArg args[] = {
    CNNFILT_KERNEL_IN (in), CNNFILT_KERNEL_OUT (out), CNNFILT_KERNEL_IN (k0), CNNFILT_KERNEL_IN (k1),
    CNNFILT_KERNEL_INT (kernels[0]->kh), CNNFILT_KERNEL_INT (kernels[0]->kw),
    CNNFILT_KERNEL_INT (g->h), CNNFILT_KERNEL_INT (g->w), CNNFILT_KERNEL_INT (g->oh),
    CNNFILT_KERNEL_INT (g->ow), CNNFILT_KERNEL_INT (self->stride), CNNFILT_KERNEL_INT (g->top),
    CNNFILT_KERNEL_INT (g->left), CNNFILT_KERNEL_INT (self->parent_instance.window.border),
    CNNFILT_KERNEL_INT (n_kernels > 1), CNNFILT_KERNEL_FLOAT (self->offset),
  };
  CnnfiltKernelLaunch launch = { source, options, "correlate", 3,
                                 { (g->ow + px - 1) / px, g->oh, planes } };
  return cnnfilt_kernel_run (CNNFILT_OP (self), ctx, &launch, args, G_N_ELEMENTS (args), error);
}

/* A separable kernel as a row pass into the padded rows, then a column pass. */
static gboolean
run_cl_separable (CnnfiltFilter *self, const CnnfiltRunContext *ctx, CnnfiltTensor *in,
                  CnnfiltTensor *out, const FilterKernel *k, const Geometry *g, guint planes,
                  const gchar *source, const gchar *options, guint px, GError **error)
{
  CnnfiltFilterPrivate *priv = cnnfilt_filter_get_instance_private (self);
  if (priv->cl_rows == NULL)
    priv->cl_rows = g_object_new (CNNFILT_TYPE_TENSOR, NULL);
  CnnfiltShape rows_shape = { 1, planes, g->ph, g->ow };
  if (!cnnfilt_tensor_set_shape (priv->cl_rows, &rows_shape, error))
    return FALSE;
  g_autoptr (CnnfiltTensor) row = taps_tensor (self, 0, k->row, k->kw);
  g_autoptr (CnnfiltTensor) column = taps_tensor (self, 1, k->column, k->kh);
  const CnnfiltKernelArg row_args[] = {
    CNNFILT_KERNEL_IN (in), CNNFILT_KERNEL_OUT (priv->cl_rows), CNNFILT_KERNEL_IN (row),
    CNNFILT_KERNEL_INT (k->kw), CNNFILT_KERNEL_INT (g->h), CNNFILT_KERNEL_INT (g->w),
    CNNFILT_KERNEL_INT (g->ph), CNNFILT_KERNEL_INT (g->ow), CNNFILT_KERNEL_INT (self->stride),
    CNNFILT_KERNEL_INT (g->top), CNNFILT_KERNEL_INT (g->left),
    CNNFILT_KERNEL_INT (self->parent_instance.window.border),
  };
  CnnfiltKernelLaunch rows = { source, options, "rows", 3, { (g->ow + px - 1) / px, g->ph, planes } };
  const CnnfiltKernelArg column_args[] = {
    CNNFILT_KERNEL_IN (priv->cl_rows), CNNFILT_KERNEL_OUT (out), CNNFILT_KERNEL_IN (column),
    CNNFILT_KERNEL_INT (k->kh), CNNFILT_KERNEL_INT (g->ph), CNNFILT_KERNEL_INT (g->oh),
    CNNFILT_KERNEL_INT (g->ow), CNNFILT_KERNEL_INT (self->stride),
    CNNFILT_KERNEL_FLOAT (self->offset),
  };
  CnnfiltKernelLaunch columns = { source, options, "columns", 3,
                                  { (g->ow + px - 1) / px, g->oh, planes } };
  return cnnfilt_kernel_run (CNNFILT_OP (self), ctx, &rows, row_args, G_N_ELEMENTS (row_args),
                             error) &&
         cnnfilt_kernel_run (CNNFILT_OP (self), ctx, &columns, column_args,
                             G_N_ELEMENTS (column_args), error);
}

static gboolean
cnnfilt_filter_run_cl (CnnfiltOp *op, const CnnfiltRunContext *ctx,
                       CnnfiltTensor **inputs, guint n_inputs,
                       CnnfiltTensor *output, GError **error)
{
  CnnfiltFilter *self = CNNFILT_FILTER (op);
  const gchar *source = cnnfilt_kernel_source_from_resource ("/org/cnnfilt/classic/filter.cl",
                                                              error);
  if (source == NULL)
    return FALSE;
  FilterKernel *kernels[2] = { NULL, NULL };
  guint n_kernels = CNNFILT_FILTER_GET_CLASS (self)->make_kernels (self, kernels, error);
  if (n_kernels == 0)
    return FALSE;
  CnnfiltShape shape;
  cnnfilt_tensor_get_shape (inputs[0], &shape);
  Geometry g;
  gboolean ok = filter_geometry (self, shape.h, shape.w, kernels[0], &g, error);
  if (ok)
    {
      /* outputs per work-item: the device's float vector width, 4 to 16 */
      guint px = CLAMP (cnnfilt_kernel_get_vector_width (ctx), 4, 16);
      g_autofree gchar *options = g_strdup_printf ("-DPX=%u", px);
      const FilterKernel *k = kernels[0];
      if (n_kernels == 1 && k->row != NULL && k->kh * k->kw > 2 * (k->kh + k->kw))
        ok = run_cl_separable (self, ctx, inputs[0], output, k, &g, shape.n * shape.c, source,
                               options, px, error);
      else
        ok = run_cl_direct (self, ctx, inputs[0], output, kernels, n_kernels, &g,
                            shape.n * shape.c, source, options, px, error);
    }
  filter_kernel_free (kernels[0]);
  filter_kernel_free (kernels[1]);
  return ok;
}

static gboolean
cnnfilt_filter_validate (CnnfiltOp *op, GError **error)
{
  CnnfiltFilter *self = CNNFILT_FILTER (op);
  FilterKernel *kernels[2] = { NULL, NULL };
  guint n = CNNFILT_FILTER_GET_CLASS (self)->make_kernels (self, kernels, error);
  filter_kernel_free (kernels[0]);
  filter_kernel_free (kernels[1]);
  return n > 0;
}

static void
cnnfilt_filter_finalize (GObject *object)
{
  CnnfiltFilterPrivate *priv = cnnfilt_filter_get_instance_private (CNNFILT_FILTER (object));
  ring_clear (&priv->scratch.padded);
  ring_clear (&priv->scratch.pass[0]);
  ring_clear (&priv->scratch.pass[1]);
  g_free (priv->scratch.second);
  g_clear_object (&priv->cl_rows);
  for (guint i = 0; i < 2; i++)
    {
      g_clear_object (&priv->cl_taps[i]);
      g_free (priv->cl_taps_copy[i]);
    }
  G_OBJECT_CLASS (cnnfilt_filter_parent_class)->finalize (object);
}

static void
cnnfilt_filter_class_init (CnnfiltFilterClass *klass)
{
  CnnfiltOpClass *op_class = CNNFILT_OP_CLASS (klass);
  G_OBJECT_CLASS (klass)->finalize = cnnfilt_filter_finalize;
  op_class->validate = cnnfilt_filter_validate;
  op_class->infer = cnnfilt_filter_infer;
  CNNFILT_AREA_OP_CLASS (klass)->resolve = cnnfilt_filter_resolve;
  op_class->run = cnnfilt_filter_run;
  op_class->run_cl = cnnfilt_filter_run_cl;
}

static void
cnnfilt_filter_class_finalize (CnnfiltFilterClass *klass)
{
}

static void
cnnfilt_filter_init (CnnfiltFilter *self)
{
  self->stride = 1;
  self->padding = -1;
}
