/* window.h: sliding-window geometry of convolutions and pools
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A Window holds what an op's properties say (the WINDOW_*_PROPS rows);
 * window_plan() resolves it for one input size into a WindowPlan, the
 * numbers the loops and oneDNN take.
 */
#pragma once

#include <cnnfilt.h>

G_BEGIN_DECLS

typedef enum {
  CNNFILT_AUTO_PAD_NOTSET,
  CNNFILT_AUTO_PAD_SAME_UPPER,
  CNNFILT_AUTO_PAD_SAME_LOWER,
  CNNFILT_AUTO_PAD_VALID,
} CnnfiltAutoPad;
GType cnnfilt_auto_pad_get_type (void);

typedef struct {
  gint kernel_h, kernel_w;
  gint stride_h, stride_w;  /* 0: same as the kernel (pools) */
  gint pad_top, pad_left, pad_bottom, pad_right;
  gint dilation_h, dilation_w;
  gint auto_pad;            /* CnnfiltAutoPad */
  gboolean ceil_mode;
} Window;

/* The resolved geometry for one input size. */
typedef struct {
  guint in_h, in_w, out_h, out_w;
  gint kh, kw, sh, sw, dh, dw;
  gint pad_top, pad_left, pad_bottom, pad_right;
} WindowPlan;

gboolean window_plan (const Window *window, guint in_h, guint in_w, WindowPlan *plan,
                      GError **error);

/* What the window means for receptive fields, for kernels of @kh × @kw
 * (conv2d's come from its weights): dilated extent and stride (0: the
 * kernel's). */
void window_describe (const Window *window, gint kh, gint kw, CnnfiltOpWindow *out);

/* A 1×1 window, stride 1, no padding: a pool that copies its input (the
 * adaptive 6×6 or 7×7 pool of AlexNet and VGG at 224×224). */
gboolean window_is_identity (const WindowPlan *plan);

/* Properties for a Window embedded at field `window` of Type. */
#define WINDOW_PROPS(Type, kernel, stride)                                                        \
  { "stride-h", "Vertical step between windows" kernel, CNNFILT_OP_PROP_INT,                         \
    CNNFILT_OP_PROP_FIELD (Type, window.stride_h), 0, 1 << 16, stride, NULL, { 0 } },                     \
  { "stride-w", "Horizontal step between windows" kernel, CNNFILT_OP_PROP_INT,                       \
    CNNFILT_OP_PROP_FIELD (Type, window.stride_w), 0, 1 << 16, stride, NULL, { 0 } },                     \
  { "stride", "Shorthand: sets stride-h and stride-w", CNNFILT_OP_PROP_SHORTHAND, 0, 0, 1 << 16, stride, \
    NULL, { CNNFILT_OP_PROP_FIELD (Type, window.stride_h), CNNFILT_OP_PROP_FIELD (Type, window.stride_w), -1 } }, \
  { "pad-top", "Zero rows added above", CNNFILT_OP_PROP_INT, CNNFILT_OP_PROP_FIELD (Type, window.pad_top),     \
    0, 1 << 16, 0, NULL, { 0 } },                                                          \
  { "pad-left", "Zero columns added on the left", CNNFILT_OP_PROP_INT,                               \
    CNNFILT_OP_PROP_FIELD (Type, window.pad_left), 0, 1 << 16, 0, NULL, { 0 } },                     \
  { "pad-bottom", "Zero rows added below", CNNFILT_OP_PROP_INT, CNNFILT_OP_PROP_FIELD (Type, window.pad_bottom), \
    0, 1 << 16, 0, NULL, { 0 } },                                                          \
  { "pad-right", "Zero columns added on the right", CNNFILT_OP_PROP_INT,                             \
    CNNFILT_OP_PROP_FIELD (Type, window.pad_right), 0, 1 << 16, 0, NULL, { 0 } },                    \
  { "padding", "Shorthand: sets all four pad-* sides", CNNFILT_OP_PROP_SHORTHAND, 0, 0, 1 << 16, 0,  \
    NULL, { CNNFILT_OP_PROP_FIELD (Type, window.pad_top), CNNFILT_OP_PROP_FIELD (Type, window.pad_left),       \
            CNNFILT_OP_PROP_FIELD (Type, window.pad_bottom), CNNFILT_OP_PROP_FIELD (Type, window.pad_right) } }, \
  { "auto-pad", "Pad to keep size/stride (same-upper: extra at the end, same-lower: at the start), or none (valid); notset uses pad-*", \
    CNNFILT_OP_PROP_ENUM, CNNFILT_OP_PROP_FIELD (Type, window.auto_pad), 0, 0, CNNFILT_AUTO_PAD_NOTSET,        \
    cnnfilt_auto_pad_get_type, { 0 } }

#define WINDOW_DILATION_PROPS(Type)                                                       \
  { "dilation-h", "Vertical spacing of the kernel taps", CNNFILT_OP_PROP_INT,                        \
    CNNFILT_OP_PROP_FIELD (Type, window.dilation_h), 1, 1 << 16, 1, NULL, { 0 } },                   \
  { "dilation-w", "Horizontal spacing of the kernel taps", CNNFILT_OP_PROP_INT,                      \
    CNNFILT_OP_PROP_FIELD (Type, window.dilation_w), 1, 1 << 16, 1, NULL, { 0 } },                   \
  { "dilation", "Shorthand: sets dilation-h and dilation-w", CNNFILT_OP_PROP_SHORTHAND, 0, 1, 1 << 16, 1, \
    NULL, { CNNFILT_OP_PROP_FIELD (Type, window.dilation_h), CNNFILT_OP_PROP_FIELD (Type, window.dilation_w), -1 } }

#define WINDOW_KERNEL_PROPS(Type)                                                         \
  { "kernel-h", "Window height", CNNFILT_OP_PROP_INT, CNNFILT_OP_PROP_FIELD (Type, window.kernel_h),           \
    1, 1 << 16, 2, NULL, { 0 } },                                                          \
  { "kernel-w", "Window width", CNNFILT_OP_PROP_INT, CNNFILT_OP_PROP_FIELD (Type, window.kernel_w),            \
    1, 1 << 16, 2, NULL, { 0 } },                                                          \
  { "kernel", "Shorthand: sets kernel-h and kernel-w", CNNFILT_OP_PROP_SHORTHAND, 0, 1, 1 << 16, 2,  \
    NULL, { CNNFILT_OP_PROP_FIELD (Type, window.kernel_h), CNNFILT_OP_PROP_FIELD (Type, window.kernel_w), -1 } }, \
  { "ceil-mode", "Round the output size up, so that a partial last window counts", CNNFILT_OP_PROP_BOOLEAN, \
    CNNFILT_OP_PROP_FIELD (Type, window.ceil_mode), 0, 1, 0, NULL, { 0 } }

#define WINDOW_ONNX_ATTRIBUTES                                                            \
  "auto_pad=NOTSET:auto-pad strides=1,1:stride-h,stride-w "                                \
  "pads:pad-top,pad-left,pad-bottom,pad-right"

G_END_DECLS
