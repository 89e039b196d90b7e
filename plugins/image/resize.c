/* resize.c: scale images up or down
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Example: cnnfilt run 'resize width=640 ! grayscale ! sobel' -o out/ photos/
 *
 * Separable resampling: each output column, then row, is a weighted sum of
 * source pixels, with the weights tabulated once per size. Pixel centres
 * sit at half-integers (align_corners=False in PyTorch, INTER_LINEAR in
 * OpenCV) and samples past the edge take the edge pixel.
 */
#include <cnnfilt.h>

#include <math.h>
#include <string.h>

typedef enum {
  CNNFILT_RESIZE_AUTO,
  CNNFILT_RESIZE_NEAREST,
  CNNFILT_RESIZE_BILINEAR,
  CNNFILT_RESIZE_AREA,
} CnnfiltResizeMethod;

static GType
cnnfilt_resize_method_get_type (void)
{
  static gsize type = 0;
  if (g_once_init_enter (&type))
    {
      static const GEnumValue values[] = {
        { CNNFILT_RESIZE_AUTO, "CNNFILT_RESIZE_AUTO", "auto" },
        { CNNFILT_RESIZE_NEAREST, "CNNFILT_RESIZE_NEAREST", "nearest" },
        { CNNFILT_RESIZE_BILINEAR, "CNNFILT_RESIZE_BILINEAR", "bilinear" },
        { CNNFILT_RESIZE_AREA, "CNNFILT_RESIZE_AREA", "area" },
        { 0, NULL, NULL },
      };
      g_once_init_leave (&type, g_enum_register_static ("CnnfiltResizeMethod", values));
    }
  return type;
}

typedef struct {
  CnnfiltOp parent_instance;
  guint width;
  guint height;
  gdouble scale;
  guint shorter;
  CnnfiltResizeMethod method;
  gfloat *pass; /* scratch: rows resampled, columns not yet */
  gsize pass_size;
  CnnfiltTensor *cl_pass; /* the same on an OpenCL device */
} CnnfiltResize;

typedef struct {
  CnnfiltOpClass parent_class;
} CnnfiltResizeClass;

CNNFILT_DEFINE_OP_TYPE (CnnfiltResize, cnnfilt_resize, CNNFILT_TYPE_OP)

#define MAX_SIDE 65536u

static const CnnfiltOpProp resize_props[] = {
  { "width", "Output width; 0 follows the aspect ratio from height", CNNFILT_OP_PROP_UINT,
    CNNFILT_OP_PROP_FIELD (CnnfiltResize, width), 0, MAX_SIDE, 0, NULL, { 0 } },
  { "height", "Output height; 0 follows the aspect ratio from width", CNNFILT_OP_PROP_UINT,
    CNNFILT_OP_PROP_FIELD (CnnfiltResize, height), 0, MAX_SIDE, 0, NULL, { 0 } },
  { "scale", "Factor for both sides (0.5 halves them); 0 when width or height is given",
    CNNFILT_OP_PROP_DOUBLE, CNNFILT_OP_PROP_FIELD (CnnfiltResize, scale), 0, 1000, 0, NULL, { 0 } },
  { "shorter", "Size of the shorter side, the other following the aspect ratio (torchvision's "
    "Resize(256)); 0 when unused", CNNFILT_OP_PROP_UINT,
    CNNFILT_OP_PROP_FIELD (CnnfiltResize, shorter), 0, MAX_SIDE, 0, NULL, { 0 } },
  { "method", "auto: area when shrinking, bilinear when enlarging; nearest; bilinear (aliases "
    "when shrinking by more than 2); area (the mean of the covered source pixels)",
    CNNFILT_OP_PROP_ENUM, CNNFILT_OP_PROP_FIELD (CnnfiltResize, method), 0, 0, CNNFILT_RESIZE_AUTO,
    cnnfilt_resize_method_get_type, { 0 } },
};

static gboolean
cnnfilt_resize_validate (CnnfiltOp *op, GError **error)
{
  CnnfiltResize *self = (CnnfiltResize *) op;
  guint given = (self->width != 0 || self->height != 0) + (self->scale != 0.0) +
                (self->shorter != 0);
  if (given == 0)
    {
      g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_INVALID_ARGUMENT,
                   "resize: give width, height (the other follows the aspect ratio), scale or "
                   "shorter");
      return FALSE;
    }
  if (given > 1)
    {
      g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_INVALID_ARGUMENT,
                   "resize: width/height, scale and shorter exclude each other");
      return FALSE;
    }
  return TRUE;
}

static gboolean
cnnfilt_resize_infer (CnnfiltOp *op, const CnnfiltShape *inputs, guint n_inputs,
                      CnnfiltShape *output, GError **error)
{
  CnnfiltResize *self = (CnnfiltResize *) op;
  gdouble h = inputs[0].h, w = inputs[0].w, oh, ow;
  if (self->scale != 0.0)
    oh = round (h * self->scale), ow = round (w * self->scale);
  else if (self->shorter != 0)
    {
      /* as torchvision's Resize(int): the shorter side to the size, the
       * longer one scaled and truncated; but at most MAX_SIDE, so that a
       * strip of more than 256:1 is squeezed along its length rather than
       * refused (a centre crop, all a model's preparation keeps of it,
       * then sees it narrower than it is) */
      if (h <= w)
        oh = self->shorter, ow = MIN (floor (w * self->shorter / h), MAX_SIDE);
      else
        ow = self->shorter, oh = MIN (floor (h * self->shorter / w), MAX_SIDE);
    }
  else if (self->width != 0 && self->height != 0)
    oh = self->height, ow = self->width;
  else if (self->width != 0)
    ow = self->width, oh = round (h * self->width / w);
  else
    oh = self->height, ow = round (w * self->height / h);
  if (oh < 1 || ow < 1 || oh > MAX_SIDE || ow > MAX_SIDE)
    {
      g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_SHAPE,
                   "resize: %ux%u would become %.0fx%.0f; sides must be 1 to %u",
                   inputs[0].w, inputs[0].h, ow, oh, MAX_SIDE);
      return FALSE;
    }
  *output = (CnnfiltShape) { inputs[0].n, inputs[0].c, (guint) oh, (guint) ow };
  return TRUE;
}

/* Weights of @taps source pixels for each of @out output pixels. */
typedef struct {
  guint taps;
  guint *index;   /* out × taps */
  gfloat *weight; /* out × taps */
} Table;

static void
table_free (Table *t)
{
  g_free (t->index);
  g_free (t->weight);
}

static void
make_table (Table *t, guint in, guint out, CnnfiltResizeMethod method)
{
  gdouble scale = (gdouble) in / out;
  if (method == CNNFILT_RESIZE_AUTO)
    method = out < in ? CNNFILT_RESIZE_AREA : CNNFILT_RESIZE_BILINEAR;
  if (method == CNNFILT_RESIZE_AREA && out >= in)
    method = CNNFILT_RESIZE_BILINEAR; /* area is for shrinking, as in OpenCV */

  t->taps = method == CNNFILT_RESIZE_NEAREST ? 1
          : method == CNNFILT_RESIZE_BILINEAR ? 2
          : (guint) ceil (scale) + 1;
  t->index = g_new0 (guint, (gsize) out * t->taps);
  t->weight = g_new0 (gfloat, (gsize) out * t->taps);

  for (guint x = 0; x < out; x++)
    {
      guint *index = t->index + (gsize) x * t->taps;
      gfloat *weight = t->weight + (gsize) x * t->taps;
      if (method == CNNFILT_RESIZE_NEAREST)
        {
          index[0] = MIN ((guint) floor ((x + 0.5) * scale), in - 1);
          weight[0] = 1.0f;
        }
      else if (method == CNNFILT_RESIZE_BILINEAR)
        {
          gdouble src = (x + 0.5) * scale - 0.5;
          gdouble left = floor (src);
          gdouble frac = src - left;
          index[0] = (guint) CLAMP (left, 0, in - 1);
          index[1] = (guint) CLAMP (left + 1, 0, in - 1);
          weight[0] = (gfloat) (1.0 - frac);
          weight[1] = (gfloat) frac;
        }
      else
        {
          /* The mean over the source interval [x·scale, (x+1)·scale). */
          gdouble start = x * scale, end = (x + 1) * scale;
          guint first = (guint) floor (start);
          for (guint k = 0; k < t->taps; k++)
            {
              guint i = first + k;
              gdouble overlap = MIN (end, i + 1.0) - MAX (start, (gdouble) i);
              index[k] = MIN (i, in - 1);
              weight[k] = overlap > 0 && i < in ? (gfloat) (overlap / scale) : 0.0f;
            }
        }
    }
}

static gboolean
cnnfilt_resize_run (CnnfiltOp *op, const CnnfiltRunContext *ctx,
                    CnnfiltTensor **inputs, guint n_inputs,
                    CnnfiltTensor *output, GError **error)
{
  CnnfiltResize *self = (CnnfiltResize *) op;
  CnnfiltShape in, out;
  cnnfilt_tensor_get_shape (inputs[0], &in);
  cnnfilt_tensor_get_shape (output, &out);

  Table rows, columns;
  make_table (&columns, in.w, out.w, self->method);
  make_table (&rows, in.h, out.h, self->method);
  gsize need = (gsize) in.h * out.w;
  if (need > self->pass_size)
    {
      g_free (self->pass);
      self->pass = g_new (gfloat, need);
      self->pass_size = need;
    }

  for (guint n = 0; n < in.n; n++)
    for (guint c = 0; c < in.c; c++)
      {
        const gfloat *src = cnnfilt_tensor_get_plane (inputs[0], n, c);
        gfloat *dst = cnnfilt_tensor_get_plane (output, n, c);
        for (guint y = 0; y < in.h; y++)
          {
            const gfloat *row = src + (gsize) y * in.w;
            gfloat *o = self->pass + (gsize) y * out.w;
            for (guint x = 0; x < out.w; x++)
              {
                const guint *index = columns.index + (gsize) x * columns.taps;
                const gfloat *weight = columns.weight + (gsize) x * columns.taps;
                gfloat sum = 0.0f;
                for (guint k = 0; k < columns.taps; k++)
                  sum += weight[k] * row[index[k]];
                o[x] = sum;
              }
          }
        for (guint y = 0; y < out.h; y++)
          {
            gfloat *restrict o = dst + (gsize) y * out.w;
            const guint *index = rows.index + (gsize) y * rows.taps;
            const gfloat *weight = rows.weight + (gsize) y * rows.taps;
            memset (o, 0, sizeof (gfloat) * out.w);
            for (guint k = 0; k < rows.taps; k++)
              {
                const gfloat *restrict p = self->pass + (gsize) index[k] * out.w;
                const gfloat w = weight[k];
                for (guint x = 0; x < out.w; x++)
                  o[x] += w * p[x];
              }
          }
      }
  table_free (&rows);
  table_free (&columns);
  return TRUE;
}

/* A table as two tensors: indices (as floats) and weights. */
static gboolean
table_tensors (const Table *t, guint out, CnnfiltTensor **index, CnnfiltTensor **weight,
               GError **error)
{
  gsize n = (gsize) out * t->taps;
  g_autofree gfloat *as_float = g_new (gfloat, n);
  for (gsize i = 0; i < n; i++)
    as_float[i] = (gfloat) t->index[i];
  *index = cnnfilt_tensor_new_from_data (as_float, n, 1, 1, out, t->taps, error);
  *weight = *index ? cnnfilt_tensor_new_from_data (t->weight, n, 1, 1, out, t->taps, error) : NULL;
  return *weight != NULL;
}

static gboolean
cnnfilt_resize_run_cl (CnnfiltOp *op, const CnnfiltRunContext *ctx,
                       CnnfiltTensor **inputs, guint n_inputs,
                       CnnfiltTensor *output, GError **error)
{
  CnnfiltResize *self = (CnnfiltResize *) op;
  const gchar *source = cnnfilt_kernel_source_from_resource ("/org/cnnfilt/image/resize.cl", error);
  if (source == NULL)
    return FALSE;
  CnnfiltShape in, out;
  cnnfilt_tensor_get_shape (inputs[0], &in);
  cnnfilt_tensor_get_shape (output, &out);
  Table rows, columns;
  make_table (&columns, in.w, out.w, self->method);
  make_table (&rows, in.h, out.h, self->method);
  g_autoptr (CnnfiltTensor) ci = NULL, cw = NULL, ri = NULL, rw = NULL;
  gboolean ok = table_tensors (&columns, out.w, &ci, &cw, error) &&
                table_tensors (&rows, out.h, &ri, &rw, error);
  guint column_taps = columns.taps, row_taps = rows.taps;
  table_free (&rows);
  table_free (&columns);
  if (!ok)
    return FALSE;
  if (self->cl_pass == NULL)
    self->cl_pass = g_object_new (CNNFILT_TYPE_TENSOR, NULL);
  CnnfiltShape pass = { in.n, in.c, in.h, out.w };
  if (!cnnfilt_tensor_set_shape (self->cl_pass, &pass, error))
    return FALSE;
  gsize planes = (gsize) in.n * in.c;
  const CnnfiltKernelArg row_args[] = {
    CNNFILT_KERNEL_IN (inputs[0]), CNNFILT_KERNEL_OUT (self->cl_pass), CNNFILT_KERNEL_IN (ci),
    CNNFILT_KERNEL_IN (cw), CNNFILT_KERNEL_INT (column_taps), CNNFILT_KERNEL_INT (in.h),
    CNNFILT_KERNEL_INT (in.w), CNNFILT_KERNEL_INT (out.w),
  };
  CnnfiltKernelLaunch row_launch = { source, NULL, "resize_rows", 3, { out.w, in.h, planes } };
  const CnnfiltKernelArg column_args[] = {
    CNNFILT_KERNEL_IN (self->cl_pass), CNNFILT_KERNEL_OUT (output), CNNFILT_KERNEL_IN (ri),
    CNNFILT_KERNEL_IN (rw), CNNFILT_KERNEL_INT (row_taps), CNNFILT_KERNEL_INT (in.h),
    CNNFILT_KERNEL_INT (out.h), CNNFILT_KERNEL_INT (out.w),
  };
  CnnfiltKernelLaunch column_launch = { source, NULL, "resize_columns", 3, { out.w, out.h, planes } };
  return cnnfilt_kernel_run (op, ctx, &row_launch, row_args, G_N_ELEMENTS (row_args), error) &&
         cnnfilt_kernel_run (op, ctx, &column_launch, column_args, G_N_ELEMENTS (column_args),
                             error);
}

static void
cnnfilt_resize_finalize (GObject *object)
{
  g_free (((CnnfiltResize *) object)->pass);
  g_clear_object (&((CnnfiltResize *) object)->cl_pass);
  G_OBJECT_CLASS (cnnfilt_resize_parent_class)->finalize (object);
}

static void
cnnfilt_resize_class_init (CnnfiltResizeClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  CnnfiltOpClass *op_class = CNNFILT_OP_CLASS (klass);
  object_class->finalize = cnnfilt_resize_finalize;
  op_class->name = "resize";
  op_class->description = "Resize to a width, a height or by a scale; area-averaging when shrinking";
  op_class->n_inputs = 1;
  op_class->validate = cnnfilt_resize_validate;
  op_class->infer = cnnfilt_resize_infer;
  op_class->run = cnnfilt_resize_run;
  op_class->run_cl = cnnfilt_resize_run_cl;
  cnnfilt_op_class_install_properties (op_class, resize_props, G_N_ELEMENTS (resize_props));
}

static void
cnnfilt_resize_class_finalize (CnnfiltResizeClass *klass)
{
}

static void
cnnfilt_resize_init (CnnfiltResize *self)
{
}
