/* cnnfilt-area-op.h: the base of ops that slide a window over the image
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined (CNNFILT_INSIDE) && !defined (CNNFILT_COMPILATION)
#error "Only <cnnfilt.h> can be included directly."
#endif

#include "cnnfilt-op.h"

G_BEGIN_DECLS

/**
 * CnnfiltAutoPad:
 * @CNNFILT_AUTO_PAD_NOTSET: the pad-* properties say the padding
 * @CNNFILT_AUTO_PAD_SAME_UPPER: pad so that the output is the input size
 *   divided by the stride, rounded up; an odd total puts the extra row or
 *   column at the end
 * @CNNFILT_AUTO_PAD_SAME_LOWER: the same, the extra at the start
 * @CNNFILT_AUTO_PAD_VALID: no padding
 *
 * How a window's padding is chosen, as ONNX's `auto_pad` says.
 */
typedef enum {
  CNNFILT_AUTO_PAD_NOTSET,
  CNNFILT_AUTO_PAD_SAME_UPPER,
  CNNFILT_AUTO_PAD_SAME_LOWER,
  CNNFILT_AUTO_PAD_VALID,
} CnnfiltAutoPad;

/**
 * CnnfiltBorder:
 * @CNNFILT_BORDER_ZERO: zeros, as CNN frameworks pad
 * @CNNFILT_BORDER_REPLICATE: the nearest edge pixel: aaa|abcd|ddd
 * @CNNFILT_BORDER_REFLECT: mirrored without repeating the edge: cb|abcd|cb
 *
 * How the pixels a window sees outside the image are made up.
 */
typedef enum {
  CNNFILT_BORDER_ZERO,
  CNNFILT_BORDER_REPLICATE,
  CNNFILT_BORDER_REFLECT,
} CnnfiltBorder;

/**
 * CnnfiltWindow:
 * @kernel_h: window rows
 * @kernel_w: window columns
 * @stride_h: rows between windows; 0 for the kernel height (pools)
 * @stride_w: columns between windows; 0 for the kernel width
 * @pad_top: rows added above
 * @pad_left: columns added on the left
 * @pad_bottom: rows added below
 * @pad_right: columns added on the right
 * @dilation_h: spacing of the kernel taps down a column (1: none)
 * @dilation_w: spacing of the kernel taps along a row
 * @auto_pad: a #CnnfiltAutoPad, which overrides the pad-* fields unless
 *   %CNNFILT_AUTO_PAD_NOTSET
 * @ceil_mode: round the output size up, so that a partial last window counts
 * @border: a #CnnfiltBorder: what the padding holds
 *
 * A sliding window as an op's properties state it. cnnfilt_window_plan()
 * resolves it for one input size.
 */
typedef struct {
  gint kernel_h, kernel_w;
  gint stride_h, stride_w;
  gint pad_top, pad_left, pad_bottom, pad_right;
  gint dilation_h, dilation_w;
  gint auto_pad;
  gboolean ceil_mode;
  gint border;
} CnnfiltWindow;

/**
 * CnnfiltWindowPlan:
 * @in_h: input rows
 * @in_w: input columns
 * @out_h: output rows
 * @out_w: output columns
 * @kernel_h: window rows
 * @kernel_w: window columns
 * @stride_h: rows between windows (at least 1)
 * @stride_w: columns between windows (at least 1)
 * @dilation_h: spacing of the taps down a column (at least 1)
 * @dilation_w: spacing of the taps along a row (at least 1)
 * @pad_top: rows of padding above
 * @pad_left: columns of padding on the left
 * @pad_bottom: rows of padding below; in ceil mode, those the last window
 *   reaches
 * @pad_right: columns of padding on the right
 * @border: a #CnnfiltBorder: what the padding holds
 *
 * A #CnnfiltWindow resolved for one input size: the numbers loops and
 * kernels take. Output row y reads input rows y·stride_h − pad_top + i·dilation_h
 * for i below kernel_h.
 */
typedef struct {
  guint in_h, in_w, out_h, out_w;
  gint kernel_h, kernel_w;
  gint stride_h, stride_w;
  gint dilation_h, dilation_w;
  gint pad_top, pad_left, pad_bottom, pad_right;
  gint border;
} CnnfiltWindowPlan;

gboolean cnnfilt_window_plan (const CnnfiltWindow *window, guint in_h, guint in_w,
                              CnnfiltWindowPlan *plan, GError **error);
gboolean cnnfilt_window_plan_is_identity (const CnnfiltWindowPlan *plan);

#define CNNFILT_TYPE_AREA_OP (cnnfilt_area_op_get_type ())
#define CNNFILT_AREA_OP(obj) (G_TYPE_CHECK_INSTANCE_CAST ((obj), CNNFILT_TYPE_AREA_OP, CnnfiltAreaOp))
#define CNNFILT_AREA_OP_CLASS(klass) \
  (G_TYPE_CHECK_CLASS_CAST ((klass), CNNFILT_TYPE_AREA_OP, CnnfiltAreaOpClass))
#define CNNFILT_IS_AREA_OP(obj) (G_TYPE_CHECK_INSTANCE_TYPE ((obj), CNNFILT_TYPE_AREA_OP))
#define CNNFILT_AREA_OP_GET_CLASS(obj) \
  (G_TYPE_INSTANCE_GET_CLASS ((obj), CNNFILT_TYPE_AREA_OP, CnnfiltAreaOpClass))
GType cnnfilt_area_op_get_type (void);

typedef struct _CnnfiltAreaOp CnnfiltAreaOp;
typedef struct _CnnfiltAreaOpClass CnnfiltAreaOpClass;

/**
 * CnnfiltAreaOp:
 * @window: the window, as the op's properties set it: the rows of a
 *   subclass's property table name its fields (CNNFILT_AREA_OP_STRIDE_PROPS()
 *   and the others)
 *
 * The base of ops that compute each output value from a window of the input
 * (convolutions, pools, the classic filters), as GEGL's area filters: it
 * owns the window geometry (kernel size, stride, padding, dilation, border),
 * its output size, and what `model info` needs of it (the receptive field).
 * A subclass declares which of the window's fields are properties, with
 * which defaults, by putting the row macros in its table; where the kernel
 * size comes from data (a convolution's weights) or the properties mean the
 * window another way (a filter's centred padding), its
 * #CnnfiltAreaOpClass.resolve says so.
 */
struct _CnnfiltAreaOp {
  CnnfiltOp parent_instance;
  CnnfiltWindow window;
};

/**
 * CnnfiltAreaOpClass:
 * @parent_class: the parent class
 * @resolve: fills in @window (a copy of the op's) what the properties do
 *   not hold: the kernel size from the weights, centred padding; or fails
 *   with an error (which cnnfilt_area_op_plan() prefixes with the op's
 *   name). Optional.
 *
 * The class of #CnnfiltAreaOp. Its infer keeps the batch and channels and
 * takes the window's output size; its window hook reports the resolved
 * window for receptive fields.
 */
struct _CnnfiltAreaOpClass {
  CnnfiltOpClass parent_class;
  gboolean (*resolve) (CnnfiltAreaOp *self, CnnfiltWindow *window, GError **error);

  /*< private >*/
  gpointer padding[4];
};

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CnnfiltAreaOp, g_object_unref)

gboolean cnnfilt_area_op_resolve (CnnfiltAreaOp *self, CnnfiltWindow *window, GError **error);
gboolean cnnfilt_area_op_plan    (CnnfiltAreaOp *self, guint in_h, guint in_w,
                                  CnnfiltWindowPlan *plan, GError **error);

/* The rows below declare window fields as properties; they go into a
 * subclass's CnnfiltOpProp table. The offsets are those of CnnfiltAreaOp,
 * the first member of every subclass. */
#define CNNFILT_AREA_OP_FIELD(field) CNNFILT_OP_PROP_FIELD (CnnfiltAreaOp, window.field)

/**
 * CNNFILT_AREA_OP_KERNEL_PROPS:
 * @def: the default kernel size
 *
 * Rows for kernel-h, kernel-w, the kernel shorthand and ceil-mode (pools).
 */
#define CNNFILT_AREA_OP_KERNEL_PROPS(def)                                                      \
  { "kernel-h", "Window height", CNNFILT_OP_PROP_INT, CNNFILT_AREA_OP_FIELD (kernel_h),        \
    1, 1 << 16, def, NULL, { 0 }, NULL, 0 },                                                   \
  { "kernel-w", "Window width", CNNFILT_OP_PROP_INT, CNNFILT_AREA_OP_FIELD (kernel_w),         \
    1, 1 << 16, def, NULL, { 0 }, NULL, 0 },                                                   \
  { "kernel", "Shorthand: sets kernel-h and kernel-w", CNNFILT_OP_PROP_SHORTHAND, 0, 1,        \
    1 << 16, def, NULL,                                                                        \
    { CNNFILT_AREA_OP_FIELD (kernel_h), CNNFILT_AREA_OP_FIELD (kernel_w), -1 }, NULL, 0 },     \
  { "ceil-mode", "Round the output size up, so that a partial last window counts",             \
    CNNFILT_OP_PROP_BOOLEAN, CNNFILT_AREA_OP_FIELD (ceil_mode), 0, 1, 0, NULL, { 0 }, NULL, 0 }

/**
 * CNNFILT_AREA_OP_STRIDE_PROPS:
 * @def: the default stride; 0 means the kernel size
 * @note: a string literal appended to the stride blurbs (what 0 means), or ""
 *
 * Rows for stride-h, stride-w, stride, the four pad-* sides, padding and
 * auto-pad, as ONNX's Conv and pools have them.
 */
#define CNNFILT_AREA_OP_STRIDE_PROPS(def, note)                                                \
  { "stride-h", "Vertical step between windows" note, CNNFILT_OP_PROP_INT,                     \
    CNNFILT_AREA_OP_FIELD (stride_h), 0, 1 << 16, def, NULL, { 0 }, NULL, 0 },                 \
  { "stride-w", "Horizontal step between windows" note, CNNFILT_OP_PROP_INT,                   \
    CNNFILT_AREA_OP_FIELD (stride_w), 0, 1 << 16, def, NULL, { 0 }, NULL, 0 },                 \
  { "stride", "Shorthand: sets stride-h and stride-w", CNNFILT_OP_PROP_SHORTHAND, 0, 0,        \
    1 << 16, def, NULL,                                                                        \
    { CNNFILT_AREA_OP_FIELD (stride_h), CNNFILT_AREA_OP_FIELD (stride_w), -1 }, NULL, 0 },     \
  { "pad-top", "Zero rows added above", CNNFILT_OP_PROP_INT, CNNFILT_AREA_OP_FIELD (pad_top),  \
    0, 1 << 16, 0, NULL, { 0 }, NULL, 0 },                                                     \
  { "pad-left", "Zero columns added on the left", CNNFILT_OP_PROP_INT,                         \
    CNNFILT_AREA_OP_FIELD (pad_left), 0, 1 << 16, 0, NULL, { 0 }, NULL, 0 },                   \
  { "pad-bottom", "Zero rows added below", CNNFILT_OP_PROP_INT,                                \
    CNNFILT_AREA_OP_FIELD (pad_bottom), 0, 1 << 16, 0, NULL, { 0 }, NULL, 0 },                 \
  { "pad-right", "Zero columns added on the right", CNNFILT_OP_PROP_INT,                       \
    CNNFILT_AREA_OP_FIELD (pad_right), 0, 1 << 16, 0, NULL, { 0 }, NULL, 0 },                  \
  { "padding", "Shorthand: sets all four pad-* sides", CNNFILT_OP_PROP_SHORTHAND, 0, 0,        \
    1 << 16, 0, NULL,                                                                          \
    { CNNFILT_AREA_OP_FIELD (pad_top), CNNFILT_AREA_OP_FIELD (pad_left),                       \
      CNNFILT_AREA_OP_FIELD (pad_bottom), CNNFILT_AREA_OP_FIELD (pad_right) }, NULL, 0 },      \
  { "auto-pad", "Pad to keep size/stride (same-upper: extra at the end, same-lower: at the "   \
    "start), or none (valid); notset uses pad-*", CNNFILT_OP_PROP_ENUM,                        \
    CNNFILT_AREA_OP_FIELD (auto_pad), 0, 0, CNNFILT_AUTO_PAD_NOTSET, cnnfilt_auto_pad_get_type, \
    { 0 }, NULL, 0 }

/**
 * CNNFILT_AREA_OP_DILATION_PROPS:
 *
 * Rows for dilation-h, dilation-w and the dilation shorthand.
 */
#define CNNFILT_AREA_OP_DILATION_PROPS                                                         \
  { "dilation-h", "Vertical spacing of the kernel taps", CNNFILT_OP_PROP_INT,                  \
    CNNFILT_AREA_OP_FIELD (dilation_h), 1, 1 << 16, 1, NULL, { 0 }, NULL, 0 },                 \
  { "dilation-w", "Horizontal spacing of the kernel taps", CNNFILT_OP_PROP_INT,                \
    CNNFILT_AREA_OP_FIELD (dilation_w), 1, 1 << 16, 1, NULL, { 0 }, NULL, 0 },                 \
  { "dilation", "Shorthand: sets dilation-h and dilation-w", CNNFILT_OP_PROP_SHORTHAND, 0, 1,  \
    1 << 16, 1, NULL,                                                                          \
    { CNNFILT_AREA_OP_FIELD (dilation_h), CNNFILT_AREA_OP_FIELD (dilation_w), -1 }, NULL, 0 }

/**
 * CNNFILT_AREA_OP_BORDER_PROP:
 * @def: the default #CnnfiltBorder
 * @nick: its nick, a string literal ("replicate")
 * @why: a string literal: why that default suits the op
 *
 * The row for border, the padding's content.
 */
#define CNNFILT_AREA_OP_BORDER_PROP(def, nick, why)                                            \
  { "border", "Pixels outside the image: zero, replicate (nearest edge pixel) or reflect "     \
    "(mirrored, edge not repeated). Default " nick ": " why, CNNFILT_OP_PROP_ENUM,              \
    CNNFILT_AREA_OP_FIELD (border), 0, 0, def, cnnfilt_border_get_type, { 0 }, NULL, 0 }

/**
 * CNNFILT_AREA_OP_ONNX_ATTRIBUTES:
 *
 * The ONNX attribute mapping of the window rows, for
 * #CnnfiltOpClass.onnx_attributes: auto_pad, strides and pads.
 */
#define CNNFILT_AREA_OP_ONNX_ATTRIBUTES                                                        \
  "auto_pad=NOTSET:auto-pad strides=1,1:stride-h,stride-w "                                    \
  "pads:pad-top,pad-left,pad-bottom,pad-right"

G_END_DECLS
