/* resample.c: what interpolate and upsample share: the taps, the shape,
 * the loop and the OpenCL launch
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The taps are those of ONNX's reference (onnx/backend/test/case/node/
 * resize.py, which the node tests come from). Output index x has the input
 * coordinate c of the coordinate mode; with left = ⌈c⌉ − 1 and
 * r = c − left, in (0, 1]:
 * - nearest takes left + 1 where r is 1 or the nearest mode rounds up
 *   (round-prefer-floor: r > 0.5; round-prefer-ceil: r ≥ 0.5; ceil), else left;
 * - linear takes left and left + 1, weighted 1 − r and r;
 * - cubic takes left − 1 … left + 2 with Keys' weights for cubic-coeff-a.
 * Taps outside the input read the edge value, or, with exclude-outside
 * (linear and cubic), weigh 0 and the others are scaled to sum to 1.
 * A scale given makes the output floor(in × scale) long and the coordinates
 * use that scale and the length in × scale, unrounded, as the reference
 * does; a size given is the output length, and its scale is size / in.
 * Coordinates and weights are computed in double, the weights stored as
 * float. The output value is Σ_rows w_row · (Σ_columns w_column · input):
 * each row of taps summed first, on the CPU and in resample.cl alike.
 */
#include "resample.h"

#include <math.h>

/* the largest side: tap indices are exact in resample.cl's floats */
#define MAX_SIDE (1u << 24)

GType
cnnfilt_resample_mode_get_type (void)
{
  static gsize type = 0;
  if (g_once_init_enter (&type))
    {
      static const GEnumValue values[] = {
        { RESAMPLE_NEAREST, "CNNFILT_RESAMPLE_NEAREST", "nearest" },
        { RESAMPLE_LINEAR, "CNNFILT_RESAMPLE_LINEAR", "linear" },
        { RESAMPLE_CUBIC, "CNNFILT_RESAMPLE_CUBIC", "cubic" },
        { 0, NULL, NULL },
      };
      g_once_init_leave (&type, g_enum_register_static ("CnnfiltResampleMode", values));
    }
  return type;
}

GType
cnnfilt_resample_coordinates_get_type (void)
{
  static gsize type = 0;
  if (g_once_init_enter (&type))
    {
      static const GEnumValue values[] = {
        { RESAMPLE_HALF_PIXEL, "CNNFILT_RESAMPLE_HALF_PIXEL", "half-pixel" },
        { RESAMPLE_PYTORCH_HALF_PIXEL, "CNNFILT_RESAMPLE_PYTORCH_HALF_PIXEL", "pytorch-half-pixel" },
        { RESAMPLE_ALIGN_CORNERS, "CNNFILT_RESAMPLE_ALIGN_CORNERS", "align-corners" },
        { RESAMPLE_ASYMMETRIC, "CNNFILT_RESAMPLE_ASYMMETRIC", "asymmetric" },
        { RESAMPLE_TF_HALF_PIXEL_FOR_NN, "CNNFILT_RESAMPLE_TF_HALF_PIXEL_FOR_NN",
          "tf-half-pixel-for-nn" },
        { 0, NULL, NULL },
      };
      g_once_init_leave (&type, g_enum_register_static ("CnnfiltResampleCoordinates", values));
    }
  return type;
}

GType
cnnfilt_resample_nearest_mode_get_type (void)
{
  static gsize type = 0;
  if (g_once_init_enter (&type))
    {
      static const GEnumValue values[] = {
        { RESAMPLE_ROUND_PREFER_FLOOR, "CNNFILT_RESAMPLE_ROUND_PREFER_FLOOR", "round-prefer-floor" },
        { RESAMPLE_ROUND_PREFER_CEIL, "CNNFILT_RESAMPLE_ROUND_PREFER_CEIL", "round-prefer-ceil" },
        { RESAMPLE_FLOOR, "CNNFILT_RESAMPLE_FLOOR", "floor" },
        { RESAMPLE_CEIL, "CNNFILT_RESAMPLE_CEIL", "ceil" },
        { 0, NULL, NULL },
      };
      g_once_init_leave (&type, g_enum_register_static ("CnnfiltResampleNearestMode", values));
    }
  return type;
}

/* One axis resized: its lengths, and what the coordinates take. */
typedef struct {
  guint in, out;
  gdouble scale;  /* output length per input length */
  gdouble length; /* the output length of the coordinates: in × scale, unrounded */
} Axis;

/* Exactly one of the scale and the size of each axis is given. */
static gboolean
check_axis (CnnfiltOp *op, const gchar *scale_name, gdouble scale, const gchar *size_name,
            guint size, GError **error)
{
  if ((scale != 0) == (size != 0))
    {
      g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_INVALID_ARGUMENT,
                   scale != 0 ? "%s: %s and %s exclude each other (a scale, or a size)"
                              : "%s: give %s or %s (a scale, or a size)",
                   cnnfilt_op_get_name (op), scale_name, size_name);
      return FALSE;
    }
  return TRUE;
}

gboolean
resample_validate (CnnfiltOp *op, GError **error)
{
  LayerResample *self = (LayerResample *) op;
  return check_axis (op, "scale-h", self->scale_h, "height", self->height, error) &&
         check_axis (op, "scale-w", self->scale_w, "width", self->width, error);
}

static gboolean
axis_plan (CnnfiltOp *op, const gchar *scale_name, gdouble scale, guint size, guint in,
           Axis *axis, GError **error)
{
  axis->in = in;
  if (size != 0)
    {
      axis->out = size;
      axis->scale = (gdouble) size / in;
      axis->length = size;
      return TRUE;
    }
  gdouble out = floor (in * scale);
  if (out < 1 || out > MAX_SIDE)
    {
      g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_SHAPE,
                   "%s: %u by %s=%g makes %.0f; the output must have 1 to %u", cnnfilt_op_get_name (op),
                   in, scale_name, scale, out, MAX_SIDE);
      return FALSE;
    }
  axis->out = (guint) out;
  axis->scale = scale;
  axis->length = in * scale;
  return TRUE;
}

/* Both axes for input @in; batch and channels, where a model states them,
 * must be the input's. */
static gboolean
resample_plan (CnnfiltOp *op, const CnnfiltShape *in, Axis *rows, Axis *columns, GError **error)
{
  LayerResample *self = (LayerResample *) op;
  const gchar *name = cnnfilt_op_get_name (op);
  if ((self->batch != 0 && self->batch != in->n) || (self->channels != 0 && self->channels != in->c))
    {
      g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_SHAPE,
                   "%s: the output is to have %u images of %u channels, the input has %u of %u; "
                   "only h and w are resized", name, self->batch ? self->batch : in->n,
                   self->channels ? self->channels : in->c, in->n, in->c);
      return FALSE;
    }
  return axis_plan (op, "scale-h", self->scale_h, self->height, in->h, rows, error) &&
         axis_plan (op, "scale-w", self->scale_w, self->width, in->w, columns, error);
}

gboolean
resample_infer (CnnfiltOp *op, const CnnfiltShape *inputs, guint n_inputs, CnnfiltShape *output,
                GError **error)
{
  Axis rows, columns;
  if (!resample_plan (op, &inputs[0], &rows, &columns, error))
    return FALSE;
  *output = (CnnfiltShape) { inputs[0].n, inputs[0].c, rows.out, columns.out };
  return TRUE;
}

static guint
mode_taps (gint mode)
{
  return mode == RESAMPLE_CUBIC ? 4 : mode == RESAMPLE_LINEAR ? 2 : 1;
}

/* The input coordinate of output index @x. */
static gdouble
coordinate (gint mode, const Axis *a, guint x)
{
  switch (mode)
    {
    case RESAMPLE_ALIGN_CORNERS:
      return a->length == 1 ? 0 : x * (gdouble) (a->in - 1) / (a->length - 1);
    case RESAMPLE_ASYMMETRIC:
      return x / a->scale;
    case RESAMPLE_PYTORCH_HALF_PIXEL:
      return a->length == 1 ? -0.5 : (x + 0.5) / a->scale - 0.5;
    case RESAMPLE_TF_HALF_PIXEL_FOR_NN:
      return (x + 0.5) / a->scale;
    case RESAMPLE_HALF_PIXEL:
    default:
      return (x + 0.5) / a->scale - 0.5;
    }
}

/* Keys' cubic convolution weights of the taps left − 1 … left + 2 at
 * distance r past left (ONNX's cubic_coeffs). */
static void
cubic_weights (gdouble r, gdouble a, gdouble w[4])
{
  gdouble s = r + 1, t = 1 - r, u = 2 - r;
  w[0] = ((a * s - 5 * a) * s + 8 * a) * s - 4 * a;
  w[1] = ((a + 2) * r - (a + 3)) * r * r + 1;
  w[2] = ((a + 2) * t - (a + 3)) * t * t + 1;
  w[3] = ((a * u - 5 * a) * u + 8 * a) * u - 4 * a;
}

/* The taps of each output index of @a: index (into the input) and weight,
 * @taps of each. */
static void
fill_table (const LayerResample *self, const Axis *a, guint taps, gint *index, gfloat *weight)
{
  for (guint x = 0; x < a->out; x++)
    {
      gdouble c = coordinate (self->coordinates, a, x);
      gdouble left = ceil (c) - 1, r = c - left, first = left, w[4] = { 1, 0, 0, 0 };
      if (self->mode == RESAMPLE_NEAREST)
        {
          gboolean up = r == 1;
          switch (self->nearest_mode)
            {
            case RESAMPLE_ROUND_PREFER_FLOOR: up = up || r > 0.5; break;
            case RESAMPLE_ROUND_PREFER_CEIL: up = up || r >= 0.5; break;
            case RESAMPLE_CEIL: up = TRUE; break;
            default: break;
            }
          first = left + up;
        }
      else if (self->mode == RESAMPLE_LINEAR)
        w[0] = 1 - r, w[1] = r;
      else
        {
          first = left - 1;
          cubic_weights (r, self->cubic_coeff_a, w);
        }
      if (self->exclude_outside && self->mode != RESAMPLE_NEAREST)
        {
          gdouble sum = 0;
          for (guint k = 0; k < taps; k++)
            {
              if (first + k < 0 || first + k > a->in - 1.0)
                w[k] = 0;
              sum += w[k];
            }
          for (guint k = 0; k < taps && sum != 0; k++)
            w[k] /= sum;
        }
      for (guint k = 0; k < taps; k++)
        {
          index[x * taps + k] = (gint) CLAMP (first + k, 0, a->in - 1.0);
          weight[x * taps + k] = (gfloat) w[k];
        }
    }
}

gboolean
resample_run (CnnfiltOp *op, const CnnfiltRunContext *ctx, CnnfiltTensor **inputs,
              guint n_inputs, CnnfiltTensor *output, GError **error)
{
  LayerResample *self = (LayerResample *) op;
  CnnfiltShape in, out;
  cnnfilt_tensor_get_shape (inputs[0], &in);
  cnnfilt_tensor_get_shape (output, &out);
  Axis rows, columns;
  if (!resample_plan (op, &in, &rows, &columns, error))
    return FALSE;
  const guint taps = mode_taps (self->mode);
  g_autofree gint *row_index = g_new (gint, (gsize) out.h * taps);
  g_autofree gint *column_index = g_new (gint, (gsize) out.w * taps);
  g_autofree gfloat *row_weight = g_new (gfloat, (gsize) out.h * taps);
  g_autofree gfloat *column_weight = g_new (gfloat, (gsize) out.w * taps);
  fill_table (self, &rows, taps, row_index, row_weight);
  fill_table (self, &columns, taps, column_index, column_weight);

  const gfloat *src = cnnfilt_tensor_get_data (inputs[0], NULL);
  gfloat *dst = cnnfilt_tensor_get_data (output, NULL);
  const gsize n_rows = (gsize) out.n * out.c * out.h;
  /* threads for a few hundred thousand taps or more */
  const gboolean parallel = ctx->n_threads > 1 && n_rows * out.w * taps * taps >= 1u << 18;
#pragma omp parallel for num_threads (ctx->n_threads) if (parallel) schedule (static)
  for (gsize r = 0; r < n_rows; r++)
    {
      const gfloat *plane = src + r / out.h * in.h * in.w;
      const gint *ri = row_index + r % out.h * taps;
      const gfloat *rw = row_weight + r % out.h * taps;
      gfloat *o = dst + r * out.w;
      for (guint x = 0; x < out.w; x++)
        {
          const gint *ci = column_index + (gsize) x * taps;
          const gfloat *cw = column_weight + (gsize) x * taps;
          gfloat sum = 0;
          for (guint a = 0; a < taps; a++)
            {
              const gfloat *line = plane + (gsize) ri[a] * in.w;
              gfloat part = 0;
              for (guint b = 0; b < taps; b++)
                part += cw[b] * line[ci[b]];
              sum += rw[a] * part;
            }
          o[x] = sum;
        }
    }
  return TRUE;
}

/* A table as resample.cl reads it: per output index, @taps indices (as
 * floats) then @taps weights. */
static CnnfiltTensor *
table_tensor (const LayerResample *self, const Axis *a, guint taps, GError **error)
{
  g_autofree gint *index = g_new (gint, (gsize) a->out * taps);
  g_autofree gfloat *weight = g_new (gfloat, (gsize) a->out * taps);
  fill_table (self, a, taps, index, weight);
  gsize n = (gsize) a->out * taps * 2;
  g_autofree gfloat *packed = g_new (gfloat, n);
  for (gsize x = 0; x < a->out; x++)
    for (guint k = 0; k < taps; k++)
      {
        packed[x * 2 * taps + k] = (gfloat) index[x * taps + k];
        packed[x * 2 * taps + taps + k] = weight[x * taps + k];
      }
  return cnnfilt_tensor_new_from_data (packed, n, 1, 1, a->out, 2 * taps, error);
}

gboolean
resample_run_cl (CnnfiltOp *op, const CnnfiltRunContext *ctx, CnnfiltTensor **inputs,
                 guint n_inputs, CnnfiltTensor *output, GError **error)
{
  LayerResample *self = (LayerResample *) op;
  const gchar *source = cnnfilt_kernel_source_from_resource ("/org/cnnfilt/cnn/resample.cl", error);
  if (source == NULL)
    return FALSE;
  CnnfiltShape in, out;
  cnnfilt_tensor_get_shape (inputs[0], &in);
  cnnfilt_tensor_get_shape (output, &out);
  const guint taps = mode_taps (self->mode);
  /* the tables, made once per shape and kept on the device */
  if (self->cl_rows == NULL || !cnnfilt_shape_equal (&self->cl_in, &in) ||
      !cnnfilt_shape_equal (&self->cl_out, &out))
    {
      resample_changed (op);
      Axis rows, columns;
      if (!resample_plan (op, &in, &rows, &columns, error) ||
          (self->cl_rows = table_tensor (self, &rows, taps, error)) == NULL ||
          (self->cl_columns = table_tensor (self, &columns, taps, error)) == NULL)
        {
          resample_changed (op);
          return FALSE;
        }
      self->cl_in = in;
      self->cl_out = out;
    }
  const CnnfiltKernelArg args[] = {
    CNNFILT_KERNEL_IN (inputs[0]), CNNFILT_KERNEL_OUT (output),
    CNNFILT_KERNEL_IN (self->cl_rows), CNNFILT_KERNEL_IN (self->cl_columns),
    CNNFILT_KERNEL_INT (taps), CNNFILT_KERNEL_INT (in.h), CNNFILT_KERNEL_INT (in.w),
    CNNFILT_KERNEL_INT (out.h), CNNFILT_KERNEL_INT (out.w),
  };
  CnnfiltKernelLaunch launch = { source, NULL, "resample", 3,
                                 { out.w, out.h, (gsize) out.n * out.c } };
  return cnnfilt_kernel_run (op, ctx, &launch, args, G_N_ELEMENTS (args), error);
}

/* a multiply and an add per tap, taps² of them, and one per row of taps;
 * nearest copies */
guint64
resample_flops (CnnfiltOp *op, const CnnfiltShape *inputs, guint n_inputs,
                const CnnfiltShape *output)
{
  guint64 taps = mode_taps (((LayerResample *) op)->mode);
  return taps == 1 ? 0 : cnnfilt_shape_get_size (output) * 2 * (taps * taps + taps);
}

void
resample_changed (CnnfiltOp *op)
{
  LayerResample *self = (LayerResample *) op;
  g_clear_object (&self->cl_rows);
  g_clear_object (&self->cl_columns);
}
