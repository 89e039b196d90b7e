/* layer.c: what the cnn plugin's ops share: the algorithm enum, class hooks
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include "layer.h"

#include <math.h>
#include <string.h>

GType
cnnfilt_layer_algorithm_get_type (void)
{
  static gsize type = 0;
  if (g_once_init_enter (&type))
    {
      static const GEnumValue values[] = {
        { LAYER_ALGORITHM_AUTO, "CNNFILT_LAYER_ALGORITHM_AUTO", "auto" },
        { LAYER_ALGORITHM_REFERENCE, "CNNFILT_LAYER_ALGORITHM_REFERENCE", "reference" },
        { 0, NULL, NULL },
      };
      g_once_init_leave (&type, g_enum_register_static ("CnnfiltLayerAlgorithm", values));
    }
  return type;
}

/* The window of ops whose every output value sees the whole input. */
gboolean
layer_window_global (CnnfiltOp *op, CnnfiltOpWindow *window)
{
  window->is_global = TRUE;
  return TRUE;
}

/* H·W reads per output value */
guint64
layer_global_pool_flops (CnnfiltOp *op, const CnnfiltShape *inputs, guint n_inputs,
                         const CnnfiltShape *output)
{
  if (n_inputs == 0)
    return 0;
  return cnnfilt_shape_get_size (output) * (guint64) inputs[0].h * inputs[0].w;
}

gboolean
layer_infer_global_pool (CnnfiltOp *op, const CnnfiltShape *inputs, guint n_inputs,
                         CnnfiltShape *output, GError **error)
{
  *output = inputs[0];
  output->h = output->w = 1;
  return TRUE;
}

void
layer_merge_dims (gsize d[4], gssize *const steps[], guint n_operands)
{
  g_assert (n_operands <= 2);
  gsize md[4];
  gssize ms[2][4];
  gint n = 0;
  for (gint i = 0; i < 4; i++)
    {
      if (d[i] == 1)
        continue;
      gboolean alike = n > 0;
      for (guint j = 0; j < n_operands && alike; j++)
        alike = ms[j][n - 1] == steps[j][i] * (gssize) d[i];
      if (!alike)
        md[n++] = 1;
      md[n - 1] *= d[i];
      for (guint j = 0; j < n_operands; j++)
        ms[j][n - 1] = steps[j][i];
    }
  for (gint i = 0; i < 4; i++)
    {
      const gint from = i - (4 - n);
      d[i] = from >= 0 ? md[from] : 1;
      for (guint j = 0; j < n_operands; j++)
        steps[j][i] = from >= 0 ? ms[j][from] : 0;
    }
}

void
layer_gather_strided (const gfloat *src, const gssize strides[4], const CnnfiltShape *out,
                      gfloat *dst, guint n_threads)
{
  /* dims of 1 dropped and neighbours that lie contiguous in the input
   * merged (the output is dense): what is left decides the loop (Swin's k
   * transposed, (512, 49, 96) to (512, 96, 49) with a dim of 1 last, was
   * copied one value at a time before) */
  gsize d[4] = { out->n, out->c, out->h, out->w };
  gssize st[4] = { strides[0], strides[1], strides[2], strides[3] };
  layer_merge_dims (d, (gssize *const[]) { st }, 1);
  gsize steps[4] = { 0, 0, 0, 1 };
  for (gint i = 2; i >= 0; i--)
    steps[i] = steps[i + 1] * d[i + 1];
  const gsize total = steps[0] * d[0];
  const gboolean big = n_threads > 1 && total >= LAYER_PARALLEL_MIN_VALUES;

  /* a transpose: the last dim steps over the input and an outer dim k
   * walks it in order; copied in TILE × TILE blocks of dims k and 3, whose
   * reads and writes stay in the cache */
  gint k = -1;
  for (gint i = 2; i >= 0 && st[3] != 1; i--)
    if (st[i] == 1 && d[i] > 1)
      {
        k = i;
        break;
      }
  if (k >= 0)
    {
      enum { TILE = 16 };
      guint other[2], n_other = 0;
      for (guint i = 0; i < 3; i++)
        if ((gint) i != k)
          other[n_other++] = i;
      const gsize outer = d[other[0]] * d[other[1]];
#pragma omp parallel for num_threads (n_threads) if (big && outer > 1) schedule (static)
      for (gsize x = 0; x < outer; x++)
        {
          const gsize x0 = x / d[other[1]], x1 = x % d[other[1]];
          const gfloat *from = src + x0 * st[other[0]] + x1 * st[other[1]];
          gfloat *to = dst + x0 * steps[other[0]] + x1 * steps[other[1]];
          for (gsize k0 = 0; k0 < d[k]; k0 += TILE)
            for (gsize e0 = 0; e0 < d[3]; e0 += TILE)
              for (gsize e = e0; e < MIN (e0 + TILE, d[3]); e++)
                for (gsize kk = k0; kk < MIN (k0 + TILE, d[k]); kk++)
                  to[kk * steps[k] + e] = from[kk + e * st[3]];
        }
      return;
    }

  /* rows of the last dim, copied whole where they lie contiguous */
  const gsize rows = d[0] * d[1] * d[2];
#pragma omp parallel for num_threads (n_threads) if (big && rows > 1) schedule (static)
  for (gsize r = 0; r < rows; r++)
    {
      const gsize a = r / (d[1] * d[2]), b = r / d[2] % d[1], c = r % d[2];
      const gfloat *row = src + a * st[0] + b * st[1] + c * st[2];
      gfloat *to = dst + r * d[3];
      if (st[3] == 1)
        memcpy (to, row, d[3] * sizeof (gfloat));
      else
        for (gsize e = 0; e < d[3]; e++)
          to[e] = row[e * st[3]];
    }
}

gboolean
layer_run_copy (CnnfiltOp *op, const CnnfiltRunContext *ctx,
                CnnfiltTensor **inputs, guint n_inputs, CnnfiltTensor *output,
                GError **error)
{
  gsize count = 0;
  const gfloat *src = cnnfilt_tensor_get_data (inputs[0], &count);
  memcpy (cnnfilt_tensor_get_data (output, NULL), src, count * sizeof (gfloat));
  return TRUE;
}

gboolean
layer_require_tensor (CnnfiltOp *op, CnnfiltTensor *tensor, const gchar *property,
                      GError **error)
{
  if (tensor != NULL)
    return TRUE;
  g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_INVALID_ARGUMENT,
               "%s: property %s is not set (give it a .npy file: %s=FILE.npy)",
               cnnfilt_op_get_name (op), property, property);
  return FALSE;
}

CnnfiltOp *
layer_fuse_clamp (CnnfiltOp *op, gfloat lo, gfloat hi, CnnfiltOp *next)
{
  const gchar *name = cnnfilt_op_get_name (next);
  gfloat next_lo, next_hi;
  if (g_str_equal (name, "relu"))
    next_lo = 0.0f, next_hi = INFINITY;
  else if (g_str_equal (name, "clip"))
    g_object_get (next, "min", &next_lo, "max", &next_hi, NULL);
  else
    return NULL;
  lo = MAX (lo, next_lo);
  hi = MIN (hi, next_hi);
  if (lo > hi)
    return NULL;
  CnnfiltOp *fused = cnnfilt_op_copy (op);
  g_object_set (fused, "clamp-min", lo, "clamp-max", hi, NULL);
  return fused;
}

void
layer_map_values (const CnnfiltRunContext *ctx, CnnfiltTensor *input, CnnfiltTensor *output,
                  LayerValuesFunc map)
{
  enum { CHUNK = 4096 };
  const gsize count = cnnfilt_tensor_get_size (input);
  const gfloat *x = cnnfilt_tensor_get_data (input, NULL);
  gfloat *y = cnnfilt_tensor_get_data (output, NULL);
  const gsize n_chunks = (count + CHUNK - 1) / CHUNK;
  const gboolean parallel = ctx->n_threads > 1 && count >= LAYER_PARALLEL_MIN_VALUES;
#pragma omp parallel for num_threads (ctx->n_threads) if (parallel) schedule (static)
  for (gsize i = 0; i < n_chunks; i++)
    map (x + i * CHUNK, y + i * CHUNK, MIN (CHUNK, count - i * CHUNK));
}

CnnfiltLayoutSupport
layer_layouts_elementwise (CnnfiltOp *op, const CnnfiltShape *inputs, guint n_inputs)
{
  /* several inputs only where nothing broadcasts: then positions match */
  for (guint i = 1; i < n_inputs; i++)
    if (!cnnfilt_shape_equal (&inputs[i], &inputs[0]))
      return CNNFILT_LAYOUT_SUPPORT_NCHW;
  return CNNFILT_LAYOUT_SUPPORT_ELEMENTWISE;
}

CnnfiltLayoutSupport
layer_layouts_reads_any (CnnfiltOp *op, const CnnfiltShape *inputs, guint n_inputs)
{
  return CNNFILT_LAYOUT_SUPPORT_INPUT | CNNFILT_LAYOUT_SUPPORT_OUTPUT;
}

gboolean
layer_gather_strided_cl (CnnfiltOp *op, const CnnfiltRunContext *ctx, CnnfiltTensor *input,
                         gsize base, const gssize strides[4], CnnfiltTensor *output,
                         GError **error)
{
  const gchar *source = cnnfilt_kernel_source_from_resource ("/org/cnnfilt/cnn/gather.cl", error);
  if (source == NULL)
    return FALSE;
  CnnfiltShape out;
  cnnfilt_tensor_get_shape (output, &out);
  gsize total = cnnfilt_shape_get_size (&out);
  if (total > G_MAXINT || cnnfilt_tensor_get_size (input) > G_MAXINT)
    {
      g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_SHAPE,
                   "%s: more values than one OpenCL launch takes", cnnfilt_op_get_name (op));
      return FALSE;
    }
  /* within the input, which holds at most G_MAXINT values: each fits an int */
  const CnnfiltKernelArg args[] = {
    CNNFILT_KERNEL_IN (input), CNNFILT_KERNEL_OUT (output),
    CNNFILT_KERNEL_INT (out.c), CNNFILT_KERNEL_INT (out.h), CNNFILT_KERNEL_INT (out.w),
    CNNFILT_KERNEL_INT (base), CNNFILT_KERNEL_INT (strides[0]), CNNFILT_KERNEL_INT (strides[1]),
    CNNFILT_KERNEL_INT (strides[2]), CNNFILT_KERNEL_INT (strides[3]), CNNFILT_KERNEL_INT (total),
  };
  CnnfiltKernelLaunch launch = { source, NULL, "gather", 1, { total } };
  return cnnfilt_kernel_run (op, ctx, &launch, args, G_N_ELEMENTS (args), error);
}

gboolean
layer_run_copy_cl (CnnfiltOp *op, const CnnfiltRunContext *ctx, CnnfiltTensor **inputs,
                   guint n_inputs, CnnfiltTensor *output, GError **error)
{
  return cnnfilt_kernel_copy_all (op, ctx, inputs[0], output, error);
}

gboolean
layer_global_pool_run_cl (CnnfiltOp *op, const CnnfiltRunContext *ctx, gboolean max,
                          CnnfiltTensor *input, CnnfiltTensor *output, GError **error)
{
  const gchar *source = cnnfilt_kernel_source_from_resource ("/org/cnnfilt/cnn/global-pool.cl",
                                                              error);
  if (source == NULL)
    return FALSE;
  CnnfiltShape in;
  cnnfilt_tensor_get_shape (input, &in);
  gsize plane = (gsize) in.h * in.w, group = 1;
  /* a power of two for the reduction, no larger than the plane needs */
  while (group * 2 <= MIN (cnnfilt_kernel_get_max_work_group (ctx), 64) && group * 2 <= plane)
    group *= 2;
  const CnnfiltKernelArg args[] = {
    CNNFILT_KERNEL_IN (input), CNNFILT_KERNEL_OUT (output), CNNFILT_KERNEL_INT (plane),
    CNNFILT_KERNEL_LOCAL (group * sizeof (gfloat)), CNNFILT_KERNEL_INT (max),
  };
  CnnfiltKernelLaunch launch = { source, NULL, "global_pool", 1, { group * in.n * in.c },
                                 { group } };
  return cnnfilt_kernel_run (op, ctx, &launch, args, G_N_ELEMENTS (args), error);
}
