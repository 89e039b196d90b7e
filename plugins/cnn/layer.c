/* layer.c: what the cnn plugin's ops share: enums, window geometry, copies
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include "layer.h"

#include <stdlib.h>
#include <sys/mman.h>

#include <math.h>
#include <string.h>

GType
cnnfilt_auto_pad_get_type (void)
{
  static gsize type = 0;
  if (g_once_init_enter (&type))
    {
      static const GEnumValue values[] = {
        { CNNFILT_AUTO_PAD_NOTSET, "CNNFILT_AUTO_PAD_NOTSET", "notset" },
        { CNNFILT_AUTO_PAD_SAME_UPPER, "CNNFILT_AUTO_PAD_SAME_UPPER", "same-upper" },
        { CNNFILT_AUTO_PAD_SAME_LOWER, "CNNFILT_AUTO_PAD_SAME_LOWER", "same-lower" },
        { CNNFILT_AUTO_PAD_VALID, "CNNFILT_AUTO_PAD_VALID", "valid" },
        { 0, NULL, NULL },
      };
      g_once_init_leave (&type, g_enum_register_static ("CnnfiltAutoPad", values));
    }
  return type;
}

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

void
window_describe (const Window *window, gint kh, gint kw, CnnfiltOpWindow *out)
{
  out->kernel_h = (guint) (MAX (window->dilation_h, 1) * (kh - 1) + 1);
  out->kernel_w = (guint) (MAX (window->dilation_w, 1) * (kw - 1) + 1);
  out->stride_h = (guint) (window->stride_h > 0 ? window->stride_h : kh);
  out->stride_w = (guint) (window->stride_w > 0 ? window->stride_w : kw);
  out->global = FALSE;
}

/* The window of ops whose every output value sees the whole input. */
gboolean
layer_window_global (CnnfiltOp *op, CnnfiltOpWindow *window)
{
  window->global = TRUE;
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
window_is_identity (const WindowPlan *p)
{
  return p->kh == 1 && p->kw == 1 && p->sh == 1 && p->sw == 1 && p->pad_top == 0 &&
         p->pad_left == 0 && p->pad_bottom == 0 && p->pad_right == 0;
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

/* Output size along one axis, with the begin and end pads resolved. */
static gboolean
axis_plan (const gchar *axis, guint in, gint k, gint s, gint d, gint auto_pad, gboolean ceil_mode,
           gint *pad_begin, gint *pad_end, guint *out, GError **error)
{
  if (s <= 0)
    {
      g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_INVALID_ARGUMENT,
                   "stride-%s must be at least 1", axis);
      return FALSE;
    }
  gint64 extent = (gint64) d * (k - 1) + 1;
  if (auto_pad == CNNFILT_AUTO_PAD_SAME_UPPER || auto_pad == CNNFILT_AUTO_PAD_SAME_LOWER)
    {
      gint64 o = ((gint64) in + s - 1) / s;
      gint64 total = MAX ((o - 1) * s + extent - (gint64) in, 0);
      *pad_begin = auto_pad == CNNFILT_AUTO_PAD_SAME_UPPER ? total / 2 : (total + 1) / 2;
      *pad_end = total - *pad_begin;
      *out = o;
      return TRUE;
    }
  if (auto_pad == CNNFILT_AUTO_PAD_VALID)
    *pad_begin = *pad_end = 0;
  gint64 span = (gint64) in + *pad_begin + *pad_end - extent;
  if (span < 0)
    {
      g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_SHAPE,
                   "the window (%" G_GINT64_FORMAT " %s with dilation and padding) is larger "
                   "than the padded input (%" G_GINT64_FORMAT "): the output would be empty",
                   extent, axis[0] == 'h' ? "rows" : "columns", (gint64) in + *pad_begin + *pad_end);
      return FALSE;
    }
  gint64 o = (ceil_mode ? (span + s - 1) / s : span / s) + 1;
  /* The last window must start inside the input or its leading padding. */
  if (ceil_mode && (o - 1) * s >= (gint64) in + *pad_begin)
    o--;
  *out = o;
  return TRUE;
}

gboolean
window_plan (const Window *window, guint in_h, guint in_w, WindowPlan *plan, GError **error)
{
  plan->in_h = in_h;
  plan->in_w = in_w;
  plan->kh = window->kernel_h;
  plan->kw = window->kernel_w;
  plan->sh = window->stride_h ? window->stride_h : window->kernel_h;
  plan->sw = window->stride_w ? window->stride_w : window->kernel_w;
  plan->dh = MAX (window->dilation_h, 1);
  plan->dw = MAX (window->dilation_w, 1);
  plan->pad_top = window->pad_top;
  plan->pad_bottom = window->pad_bottom;
  plan->pad_left = window->pad_left;
  plan->pad_right = window->pad_right;
  return axis_plan ("h", in_h, plan->kh, plan->sh, plan->dh, window->auto_pad, window->ceil_mode,
                    &plan->pad_top, &plan->pad_bottom, &plan->out_h, error) &&
         axis_plan ("w", in_w, plan->kw, plan->sw, plan->dw, window->auto_pad, window->ceil_mode,
                    &plan->pad_left, &plan->pad_right, &plan->out_w, error);
}

gboolean
layer_broadcast_shape (const CnnfiltShape *a, const CnnfiltShape *b, CnnfiltShape *out,
                       GError **error)
{
  const guint da[4] = { a->n, a->c, a->h, a->w }, db[4] = { b->n, b->c, b->h, b->w };
  guint d[4];
  for (guint i = 0; i < 4; i++)
    {
      if (da[i] != db[i] && da[i] != 1 && db[i] != 1)
        {
          static const gchar *names[] = { "n", "c", "h", "w" };
          g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_SHAPE,
                       "the inputs do not broadcast: dimension %s is %u and %u "
                       "(each must be equal or 1)", names[i], da[i], db[i]);
          return FALSE;
        }
      d[i] = MAX (da[i], db[i]);
    }
  out->n = d[0], out->c = d[1], out->h = d[2], out->w = d[3];
  return TRUE;
}

gboolean
layer_infer_broadcast (CnnfiltOp *op, const CnnfiltShape *inputs, guint n_inputs,
                       CnnfiltShape *output, GError **error)
{
  if (!layer_broadcast_shape (&inputs[0], &inputs[1], output, error))
    {
      g_prefix_error (error, "%s: ", cnnfilt_op_get_name (op));
      return FALSE;
    }
  return TRUE;
}

void
layer_broadcast_apply (CnnfiltTensor *a, CnnfiltTensor *b, CnnfiltTensor *out, LayerRowFunc row,
                       gfloat clamp_min, gfloat clamp_max)
{
  gboolean clamp = clamp_min != -INFINITY || clamp_max != INFINITY;
  CnnfiltShape sa, sb, so;
  cnnfilt_tensor_get_shape (a, &sa);
  cnnfilt_tensor_get_shape (b, &sb);
  cnnfilt_tensor_get_shape (out, &so);
  const gfloat *pa = cnnfilt_tensor_get_data (a, NULL), *pb = cnnfilt_tensor_get_data (b, NULL);
  gfloat *po = cnnfilt_tensor_get_data (out, NULL);
  /* Strides of each input in the output's index space; 0 where it broadcasts. */
  const guint da[4] = { sa.n, sa.c, sa.h, sa.w }, db[4] = { sb.n, sb.c, sb.h, sb.w };
  gsize stra[4], strb[4], ea = 1, eb = 1;
  for (gint i = 3; i >= 0; i--)
    {
      stra[i] = da[i] == 1 ? 0 : ea;
      strb[i] = db[i] == 1 ? 0 : eb;
      ea *= da[i];
      eb *= db[i];
    }
  /* One thread: OpenMP here cost more in wake-ups than the loop takes
   * (bench/layers README, "Decisions"). */
  const gint64 planes = (gint64) so.n * so.c;
  const gsize plane = (gsize) so.h * so.w;
  for (gint64 p = 0; p < planes; p++)
    {
      guint n = p / so.c, c = p % so.c;
      gsize i = p * plane;
      for (guint y = 0; y < so.h; y++, i += so.w)
        {
          row (pa + n * stra[0] + c * stra[1] + y * stra[2], stra[3],
               pb + n * strb[0] + c * strb[1] + y * strb[2], strb[3], po + i, so.w);
          if (clamp)
            for (guint x = 0; x < so.w; x++)
              po[i + x] = po[i + x] < clamp_min ? clamp_min : po[i + x] > clamp_max ? clamp_max : po[i + x];
        }
    }
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


typedef struct {
  gpointer data[LAYER_SCRATCH_SLOTS];
  gsize size[LAYER_SCRATCH_SLOTS];
} Scratch;

static void
scratch_free (gpointer data)
{
  Scratch *scratch = data;
  for (guint i = 0; i < G_N_ELEMENTS (scratch->data); i++)
    g_free (scratch->data[i]);
  g_free (scratch);
}

static GPrivate scratch_key = G_PRIVATE_INIT (scratch_free);

gpointer
layer_scratch (guint slot, gsize bytes)
{
  g_return_val_if_fail (slot < LAYER_SCRATCH_SLOTS, NULL);
  Scratch *scratch = g_private_get (&scratch_key);
  if (scratch == NULL)
    {
      scratch = g_new0 (Scratch, 1);
      g_private_set (&scratch_key, scratch);
    }
  if (bytes > scratch->size[slot])
    {
      g_free (scratch->data[slot]);
      /* 64-byte multiples from malloc; oneDNN wants no more alignment */
      scratch->data[slot] = g_try_malloc (bytes);
      scratch->size[slot] = scratch->data[slot] ? bytes : 0;
    }
  return scratch->data[slot];
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
