/* window.c: sliding-window geometry of convolutions and pools
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include "window.h"

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

void
window_describe (const Window *window, gint kh, gint kw, CnnfiltOpWindow *out)
{
  out->kernel_h = (guint) (MAX (window->dilation_h, 1) * (kh - 1) + 1);
  out->kernel_w = (guint) (MAX (window->dilation_w, 1) * (kw - 1) + 1);
  out->stride_h = (guint) (window->stride_h > 0 ? window->stride_h : kh);
  out->stride_w = (guint) (window->stride_w > 0 ? window->stride_w : kw);
  out->is_global = FALSE;
}

gboolean
window_is_identity (const WindowPlan *p)
{
  return p->kh == 1 && p->kw == 1 && p->sh == 1 && p->sw == 1 && p->pad_top == 0 &&
         p->pad_left == 0 && p->pad_bottom == 0 && p->pad_right == 0;
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
