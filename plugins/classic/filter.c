/* filter.c: the base of the classic plugin's kernel filters
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include "filter.h"

#include <math.h>
#include <string.h>

GType
cnnfilt_border_get_type (void)
{
  static gsize type = 0;
  if (g_once_init_enter (&type))
    {
      static const GEnumValue values[] = {
        { CNNFILT_BORDER_ZERO, "CNNFILT_BORDER_ZERO", "zero" },
        { CNNFILT_BORDER_REPLICATE, "CNNFILT_BORDER_REPLICATE", "replicate" },
        { CNNFILT_BORDER_REFLECT, "CNNFILT_BORDER_REFLECT", "reflect" },
        { 0, NULL, NULL },
      };
      /* Static in a module that stays resident, so registering it once is safe. */
      g_once_init_leave (&type, g_enum_register_static ("CnnfiltBorder", values));
    }
  return type;
}

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

typedef struct {
  CnnfiltBorder border;
  guint stride;
  gint padding; /* -1: "same" */
  gfloat offset;
  /* scratch, grown as needed and kept between runs */
  gfloat *padded;
  gsize padded_size;
  gfloat *pass;
  gsize pass_size;
  gfloat *second;
  gsize second_size;
} CnnfiltFilterPrivate;

G_DEFINE_DYNAMIC_TYPE_EXTENDED (CnnfiltFilter, cnnfilt_filter, CNNFILT_TYPE_OP,
                                G_TYPE_FLAG_ABSTRACT, G_ADD_PRIVATE_DYNAMIC (CnnfiltFilter))

void
cnnfilt_filter_register (GTypeModule *module)
{
  cnnfilt_filter_register_type (module);
}

void
cnnfilt_filter_set_geometry (CnnfiltFilter *self, guint stride, gint padding, gfloat offset)
{
  CnnfiltFilterPrivate *priv = cnnfilt_filter_get_instance_private (self);
  priv->stride = stride;
  priv->padding = padding;
  priv->offset = offset;
}

CnnfiltBorder
cnnfilt_filter_get_border (CnnfiltFilter *self)
{
  CnnfiltFilterPrivate *priv = cnnfilt_filter_get_instance_private (self);
  return priv->border;
}

void
cnnfilt_filter_set_border (CnnfiltFilter *self, CnnfiltBorder border)
{
  CnnfiltFilterPrivate *priv = cnnfilt_filter_get_instance_private (self);
  priv->border = border;
}

void
cnnfilt_filter_class_install_border (CnnfiltFilterClass *klass, guint prop_id,
                                     CnnfiltBorder default_border, const gchar *why)
{
  g_autofree gchar *blurb = g_strdup_printf (
      "Pixels outside the image: zero, replicate (nearest edge pixel) or reflect "
      "(mirrored, edge not repeated). Default %s: %s",
      g_enum_get_value (g_type_class_peek (CNNFILT_TYPE_BORDER), default_border)->value_nick, why);
  g_object_class_install_property (
      G_OBJECT_CLASS (klass), prop_id,
      g_param_spec_enum ("border", "Border", g_intern_string (blurb), CNNFILT_TYPE_BORDER,
                         default_border, G_PARAM_READWRITE | G_PARAM_CONSTRUCT | G_PARAM_STATIC_STRINGS));
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

static gboolean
filter_geometry (CnnfiltFilter *self, guint h, guint w, guint kh, guint kw, Geometry *g,
                 GError **error)
{
  CnnfiltFilterPrivate *priv = cnnfilt_filter_get_instance_private (self);
  const gchar *name = CNNFILT_OP_GET_CLASS (self)->name;
  g->h = h;
  g->w = w;
  side_padding (priv->padding, kh, &g->top, &g->bottom);
  side_padding (priv->padding, kw, &g->left, &g->right);
  g->ph = h + g->top + g->bottom;
  g->pw = w + g->left + g->right;
  if (g->ph < kh || g->pw < kw)
    {
      g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_SHAPE,
                   "%s: the %ux%u kernel does not fit in a %ux%u image with padding %d",
                   name, kh, kw, h, w, priv->padding);
      return FALSE;
    }
  g->oh = (g->ph - kh) / priv->stride + 1;
  g->ow = (g->pw - kw) / priv->stride + 1;
  return TRUE;
}

static gboolean
cnnfilt_filter_infer (CnnfiltOp *op, const CnnfiltShape *inputs, guint n_inputs,
                      CnnfiltShape *output, GError **error)
{
  CnnfiltFilter *self = CNNFILT_FILTER (op);
  FilterKernel *kernels[2] = { NULL, NULL };
  guint n = CNNFILT_FILTER_GET_CLASS (self)->make_kernels (self, kernels, error);
  if (n == 0)
    return FALSE;
  Geometry g;
  gboolean ok = filter_geometry (self, inputs[0].h, inputs[0].w, kernels[0]->kh, kernels[0]->kw,
                                 &g, error);
  filter_kernel_free (kernels[0]);
  filter_kernel_free (kernels[1]);
  if (!ok)
    return FALSE;
  *output = (CnnfiltShape) { inputs[0].n, inputs[0].c, g.oh, g.ow };
  return TRUE;
}

static gfloat *
scratch (gfloat **buffer, gsize *size, gsize need)
{
  if (need > *size)
    {
      g_free (*buffer);
      *buffer = g_new (gfloat, need);
      *size = need;
    }
  return *buffer;
}

/* Copies a plane into the padded buffer, making up the border. */
static void
pad_plane (const gfloat *in, const Geometry *g, CnnfiltBorder border, gfloat *padded)
{
  for (guint py = 0; py < g->ph; py++)
    {
      gfloat *row = padded + (gsize) py * g->pw;
      gint sy = border_source ((gint) py - (gint) g->top, g->h, border);
      if (sy < 0)
        {
          memset (row, 0, sizeof (gfloat) * g->pw);
          continue;
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
    }
}

/* out[oy][ox] = Σ k[i][j] · padded[oy·s + i][ox·s + j], skipping zero taps. */
static void
correlate (const gfloat *padded, const Geometry *g, const FilterKernel *k, guint stride,
           gfloat *out)
{
  for (guint oy = 0; oy < g->oh; oy++)
    {
      gfloat *restrict o = out + (gsize) oy * g->ow;
      memset (o, 0, sizeof (gfloat) * g->ow);
      for (guint i = 0; i < k->kh; i++)
        {
          const gfloat *r = padded + ((gsize) oy * stride + i) * g->pw;
          for (guint j = 0; j < k->kw; j++)
            {
              const gfloat tap = k->values[i * k->kw + j];
              if (tap == 0.0f)
                continue;
              const gfloat *restrict p = r + j;
              if (stride == 1)
                for (guint x = 0; x < g->ow; x++)
                  o[x] += tap * p[x];
              else
                for (guint x = 0; x < g->ow; x++)
                  o[x] += tap * p[(gsize) x * stride];
            }
        }
    }
}

/* The same for a separable kernel: rows first into @pass (ph × ow), then
 * columns. */
static void
correlate_separable (const gfloat *padded, const Geometry *g, const FilterKernel *k,
                     guint stride, gfloat *pass, gfloat *out)
{
  for (guint y = 0; y < g->ph; y++)
    {
      const gfloat *r = padded + (gsize) y * g->pw;
      gfloat *restrict o = pass + (gsize) y * g->ow;
      memset (o, 0, sizeof (gfloat) * g->ow);
      for (guint j = 0; j < k->kw; j++)
        {
          const gfloat tap = k->row[j];
          const gfloat *restrict p = r + j;
          if (stride == 1)
            for (guint x = 0; x < g->ow; x++)
              o[x] += tap * p[x];
          else
            for (guint x = 0; x < g->ow; x++)
              o[x] += tap * p[(gsize) x * stride];
        }
    }
  for (guint oy = 0; oy < g->oh; oy++)
    {
      gfloat *restrict o = out + (gsize) oy * g->ow;
      memset (o, 0, sizeof (gfloat) * g->ow);
      for (guint i = 0; i < k->kh; i++)
        {
          const gfloat tap = k->column[i];
          const gfloat *restrict p = pass + ((gsize) oy * stride + i) * g->ow;
          for (guint x = 0; x < g->ow; x++)
            o[x] += tap * p[x];
        }
    }
}

static void
apply_kernel (CnnfiltFilterPrivate *priv, const gfloat *padded, const Geometry *g,
              const FilterKernel *k, gfloat *out)
{
  /* Two passes cost kh + kw taps per pixel instead of kh · kw. */
  if (k->row != NULL && k->kh * k->kw > k->kh + k->kw)
    {
      gfloat *pass = scratch (&priv->pass, &priv->pass_size, (gsize) g->ph * g->ow);
      correlate_separable (padded, g, k, priv->stride, pass, out);
    }
  else
    correlate (padded, g, k, priv->stride, out);
}

static gboolean
cnnfilt_filter_run (CnnfiltOp *op, CnnfiltTensor **inputs, guint n_inputs,
                    CnnfiltTensor *output, GError **error)
{
  CnnfiltFilter *self = CNNFILT_FILTER (op);
  CnnfiltFilterPrivate *priv = cnnfilt_filter_get_instance_private (self);
  FilterKernel *kernels[2] = { NULL, NULL };
  guint n_kernels = CNNFILT_FILTER_GET_CLASS (self)->make_kernels (self, kernels, error);
  if (n_kernels == 0)
    return FALSE;

  CnnfiltShape shape;
  cnnfilt_tensor_get_shape (inputs[0], &shape);
  Geometry g;
  if (!filter_geometry (self, shape.h, shape.w, kernels[0]->kh, kernels[0]->kw, &g, error))
    {
      filter_kernel_free (kernels[0]);
      filter_kernel_free (kernels[1]);
      return FALSE;
    }
  gsize out_plane = (gsize) g.oh * g.ow;
  gfloat *padded = scratch (&priv->padded, &priv->padded_size, (gsize) g.ph * g.pw);
  gfloat *second = n_kernels > 1 ? scratch (&priv->second, &priv->second_size, out_plane) : NULL;

  for (guint n = 0; n < shape.n; n++)
    for (guint c = 0; c < shape.c; c++)
      {
        gfloat *out = cnnfilt_tensor_get_plane (output, n, c);
        pad_plane (cnnfilt_tensor_get_plane (inputs[0], n, c), &g, priv->border, padded);
        apply_kernel (priv, padded, &g, kernels[0], out);
        if (n_kernels > 1)
          {
            apply_kernel (priv, padded, &g, kernels[1], second);
            for (gsize i = 0; i < out_plane; i++)
              out[i] = sqrtf (out[i] * out[i] + second[i] * second[i]);
          }
        if (priv->offset != 0.0f)
          for (gsize i = 0; i < out_plane; i++)
            out[i] += priv->offset;
      }
  filter_kernel_free (kernels[0]);
  filter_kernel_free (kernels[1]);
  return TRUE;
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
  g_free (priv->padded);
  g_free (priv->pass);
  g_free (priv->second);
  G_OBJECT_CLASS (cnnfilt_filter_parent_class)->finalize (object);
}

static void
cnnfilt_filter_class_init (CnnfiltFilterClass *klass)
{
  CnnfiltOpClass *op_class = CNNFILT_OP_CLASS (klass);
  G_OBJECT_CLASS (klass)->finalize = cnnfilt_filter_finalize;
  op_class->n_inputs = 1;
  op_class->validate = cnnfilt_filter_validate;
  op_class->infer = cnnfilt_filter_infer;
  op_class->run = cnnfilt_filter_run;
  /* make sure the enum exists before subclasses install properties of it */
  g_type_class_ref (CNNFILT_TYPE_BORDER);
}

static void
cnnfilt_filter_class_finalize (CnnfiltFilterClass *klass)
{
}

static void
cnnfilt_filter_init (CnnfiltFilter *self)
{
  CnnfiltFilterPrivate *priv = cnnfilt_filter_get_instance_private (self);
  priv->stride = 1;
  priv->padding = -1;
}
