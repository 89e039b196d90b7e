/* cnnfilt-area-op.c: the base of ops that slide a window over the image
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include "cnnfilt.h"

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
  if (k <= 0)
    {
      g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_INVALID_ARGUMENT,
                   "kernel-%s must be at least 1", axis);
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

/**
 * cnnfilt_window_plan:
 * @window: a window
 * @in_h: input rows
 * @in_w: input columns
 * @plan: (out caller-allocates): the window resolved for that input
 * @error: return location for a #GError
 *
 * Resolves @window for an input of @in_h × @in_w: the stride a 0 stands
 * for, the padding auto-pad asks, and the output size, as ONNX defines them.
 *
 * Returns: %TRUE, or %FALSE with @error set where a stride or kernel size
 *   is below 1 or the window does not fit in the padded input
 */
gboolean
cnnfilt_window_plan (const CnnfiltWindow *window, guint in_h, guint in_w, CnnfiltWindowPlan *plan,
                     GError **error)
{
  g_return_val_if_fail (window != NULL && plan != NULL, FALSE);
  plan->in_h = in_h;
  plan->in_w = in_w;
  plan->kernel_h = window->kernel_h;
  plan->kernel_w = window->kernel_w;
  plan->stride_h = window->stride_h ? window->stride_h : window->kernel_h;
  plan->stride_w = window->stride_w ? window->stride_w : window->kernel_w;
  plan->dilation_h = MAX (window->dilation_h, 1);
  plan->dilation_w = MAX (window->dilation_w, 1);
  plan->pad_top = window->pad_top;
  plan->pad_bottom = window->pad_bottom;
  plan->pad_left = window->pad_left;
  plan->pad_right = window->pad_right;
  plan->border = window->border;
  return axis_plan ("h", in_h, plan->kernel_h, plan->stride_h, plan->dilation_h, window->auto_pad,
                    window->ceil_mode, &plan->pad_top, &plan->pad_bottom, &plan->out_h, error) &&
         axis_plan ("w", in_w, plan->kernel_w, plan->stride_w, plan->dilation_w, window->auto_pad,
                    window->ceil_mode, &plan->pad_left, &plan->pad_right, &plan->out_w, error);
}

/**
 * cnnfilt_window_plan_is_identity:
 * @plan: a resolved window
 *
 * Returns: %TRUE where each output value is the input value under it: a
 *   1×1 window, stride 1, no padding (the adaptive 6×6 or 7×7 pool of
 *   AlexNet and VGG at 224×224)
 */
gboolean
cnnfilt_window_plan_is_identity (const CnnfiltWindowPlan *plan)
{
  g_return_val_if_fail (plan != NULL, FALSE);
  return plan->kernel_h == 1 && plan->kernel_w == 1 && plan->stride_h == 1 &&
         plan->stride_w == 1 && plan->pad_top == 0 && plan->pad_left == 0 &&
         plan->pad_bottom == 0 && plan->pad_right == 0;
}

G_DEFINE_ABSTRACT_TYPE (CnnfiltAreaOp, cnnfilt_area_op, CNNFILT_TYPE_OP)

/**
 * cnnfilt_area_op_resolve:
 * @self: an area op
 * @window: (out caller-allocates): its window, with what the properties do
 *   not hold filled in
 * @error: return location for a #GError
 *
 * The op's window as it applies to any input: the properties' window, then
 * the class's #CnnfiltAreaOpClass.resolve.
 *
 * Returns: %TRUE, or %FALSE with @error set (naming the op) where the
 *   properties do not make a window
 */
gboolean
cnnfilt_area_op_resolve (CnnfiltAreaOp *self, CnnfiltWindow *window, GError **error)
{
  g_return_val_if_fail (CNNFILT_IS_AREA_OP (self), FALSE);
  g_return_val_if_fail (window != NULL, FALSE);
  *window = self->window;
  CnnfiltAreaOpClass *klass = CNNFILT_AREA_OP_GET_CLASS (self);
  if (klass->resolve != NULL && !klass->resolve (self, window, error))
    {
      g_prefix_error (error, "%s: ", cnnfilt_op_get_name (CNNFILT_OP (self)));
      return FALSE;
    }
  return TRUE;
}

/**
 * cnnfilt_area_op_plan:
 * @self: an area op
 * @in_h: input rows
 * @in_w: input columns
 * @plan: (out caller-allocates): the op's window resolved for that input
 * @error: return location for a #GError
 *
 * cnnfilt_area_op_resolve() then cnnfilt_window_plan().
 *
 * Returns: %TRUE, or %FALSE with @error set, naming the op
 */
gboolean
cnnfilt_area_op_plan (CnnfiltAreaOp *self, guint in_h, guint in_w, CnnfiltWindowPlan *plan,
                      GError **error)
{
  CnnfiltWindow window;
  if (!cnnfilt_area_op_resolve (self, &window, error))
    return FALSE;
  if (!cnnfilt_window_plan (&window, in_h, in_w, plan, error))
    {
      g_prefix_error (error, "%s: ", cnnfilt_op_get_name (CNNFILT_OP (self)));
      return FALSE;
    }
  return TRUE;
}

/* the batch and channels stay, the window says the size */
static gboolean
area_op_infer (CnnfiltOp *op, const CnnfiltShape *inputs, guint n_inputs, CnnfiltShape *output,
               GError **error)
{
  CnnfiltWindowPlan plan;
  if (!cnnfilt_area_op_plan (CNNFILT_AREA_OP (op), inputs[0].h, inputs[0].w, &plan, error))
    return FALSE;
  *output = inputs[0];
  output->h = plan.out_h;
  output->w = plan.out_w;
  return TRUE;
}

/* the receptive field: dilated extent, and the stride (a 0 is the kernel's) */
static gboolean
area_op_window (CnnfiltOp *op, CnnfiltOpWindow *out)
{
  CnnfiltWindow w;
  if (!cnnfilt_area_op_resolve (CNNFILT_AREA_OP (op), &w, NULL) || w.kernel_h < 1 ||
      w.kernel_w < 1)
    return FALSE;
  out->kernel_h = (guint) (MAX (w.dilation_h, 1) * (w.kernel_h - 1) + 1);
  out->kernel_w = (guint) (MAX (w.dilation_w, 1) * (w.kernel_w - 1) + 1);
  out->stride_h = (guint) (w.stride_h > 0 ? w.stride_h : w.kernel_h);
  out->stride_w = (guint) (w.stride_w > 0 ? w.stride_w : w.kernel_w);
  out->is_global = FALSE;
  return TRUE;
}

static void
cnnfilt_area_op_class_init (CnnfiltAreaOpClass *klass)
{
  CnnfiltOpClass *op_class = CNNFILT_OP_CLASS (klass);
  op_class->n_inputs = 1;
  op_class->infer = area_op_infer;
  op_class->window = area_op_window;
}

static void
cnnfilt_area_op_init (CnnfiltAreaOp *self)
{
  self->window.kernel_h = self->window.kernel_w = 1;
  self->window.stride_h = self->window.stride_w = 1;
  self->window.dilation_h = self->window.dilation_w = 1;
}
