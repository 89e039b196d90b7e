/* layer.h: what the cnn plugin's ops share
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The cnn plugin's ops derive from CnnfiltOp and declare their parameters
 * as a table of CnnfiltOpProp (cnnfilt_op_class_install_properties()); this
 * header holds what several of them share: enums, window geometry and its
 * property rows, broadcasting, scratch memory.
 */
#pragma once

#include <cnnfilt.h>
#include <stddef.h>

G_BEGIN_DECLS

/* The instance init and class finalize functions of ops that need none. */
#define LAYER_NO_INIT(TypeName, type_name)                                     \
  static void type_name##_class_finalize (TypeName##Class *klass) {}            \
  static void type_name##_init (TypeName *self) {}

/* FLOPs of global pools: H·W per output value. */
guint64 layer_global_pool_flops (CnnfiltOp *op, const CnnfiltShape *inputs, guint n_inputs,
                                 const CnnfiltShape *output);

/* The window of linear layers and global pools: the whole input. */
gboolean layer_window_global (CnnfiltOp *op, CnnfiltOpWindow *window);

/* Enums shared by several ops. */
typedef enum {
  CNNFILT_AUTO_PAD_NOTSET,
  CNNFILT_AUTO_PAD_SAME_UPPER,
  CNNFILT_AUTO_PAD_SAME_LOWER,
  CNNFILT_AUTO_PAD_VALID,
} CnnfiltAutoPad;
GType cnnfilt_auto_pad_get_type (void);

/* auto: the library kernels (oneDNN); reference: the op's own plain loops */
typedef enum {
  LAYER_ALGORITHM_AUTO,
  LAYER_ALGORITHM_REFERENCE,
} LayerAlgorithm;
GType cnnfilt_layer_algorithm_get_type (void);

#define LAYER_ALGORITHM_PROP(Type)                                                        \
  { "algorithm", "auto: oneDNN's kernels; reference: the plain loops", CNNFILT_OP_PROP_ENUM,          \
    CNNFILT_OP_PROP_FIELD (Type, algorithm), 0, 0, LAYER_ALGORITHM_AUTO,                               \
    cnnfilt_layer_algorithm_get_type, { 0 } }

/* Sliding-window geometry of convolutions and pools. */
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

/* Elementwise broadcasting of two shapes (each dim equal or 1). */
gboolean layer_broadcast_shape (const CnnfiltShape *a, const CnnfiltShape *b, CnnfiltShape *out,
                                GError **error);

/* infer for global pools: n×c×1×1 */
gboolean layer_infer_global_pool (CnnfiltOp *op, const CnnfiltShape *inputs, guint n_inputs,
                                  CnnfiltShape *output, GError **error);

/* run for ops that copy their input: the output differs only in shape */
gboolean layer_run_copy (CnnfiltOp *op, const CnnfiltRunContext *ctx,
                         CnnfiltTensor **inputs, guint n_inputs,
                         CnnfiltTensor *output, GError **error);

/* Two-input elementwise ops with broadcasting: infer, and the loop, which
 * calls row() once per output row with each input's row and its step (0
 * where that input broadcasts along w). */
typedef void (*LayerRowFunc) (const gfloat *a, gsize step_a, const gfloat *b, gsize step_b,
                              gfloat *out, gsize count);
gboolean layer_infer_broadcast (CnnfiltOp *op, const CnnfiltShape *inputs, guint n_inputs,
                                CnnfiltShape *output, GError **error);
void     layer_broadcast_apply (CnnfiltTensor *a, CnnfiltTensor *b, CnnfiltTensor *out,
                                LayerRowFunc row, gfloat clamp_min, gfloat clamp_max);

/* The clamp properties of ops that take a following relu or clip into
 * their output (fused when a graph is prepared), and that fuse. */
#define LAYER_CLAMP_PROPS(Type)                                                           \
  { "clamp-min", "Outputs below are raised to it: 0 is a fused ReLU", CNNFILT_OP_PROP_FLOAT,         \
    CNNFILT_OP_PROP_FIELD (Type, clamp_min), -INFINITY, INFINITY, -INFINITY, NULL, { 0 } },          \
  { "clamp-max", "Outputs above are lowered to it: 6 with clamp-min=0 is ReLU6",           \
    CNNFILT_OP_PROP_FLOAT, CNNFILT_OP_PROP_FIELD (Type, clamp_max), -INFINITY, INFINITY, INFINITY, NULL, { 0 } }

/* A copy of @op, whose clamp is [@lo, @hi], with a following relu or clip
 * @next folded in; NULL for any other @next. */
CnnfiltOp *layer_fuse_clamp (CnnfiltOp *op, gfloat lo, gfloat hi, CnnfiltOp *next);

/* Scratch memory shared by every op that runs in the calling thread,
 * grown to @bytes and kept: ops of a graph run one after another, so they
 * can share it, which keeps a graph's peak memory to its own buffers.
 * Slots 0 and 1 are two independent areas (an op's input and output
 * copies), slot LAYER_SCRATCH_ONEDNN oneDNN's scratchpad. NULL if the
 * memory cannot be had. */
#define LAYER_SCRATCH_ONEDNN 2
#define LAYER_SCRATCH_SLOTS 3
gpointer layer_scratch (guint slot, gsize bytes);

/* layouts for ops that compute value by value */
CnnfiltLayoutSupport layer_layouts_elementwise (CnnfiltOp *op, const CnnfiltShape *inputs,
                                                guint n_inputs);

/* layouts for ops that read either layout and write n×c×1×1, the same in
 * both (global pools) */
CnnfiltLayoutSupport layer_layouts_reads_any (CnnfiltOp *op, const CnnfiltShape *inputs,
                                              guint n_inputs);

/* A tensor property that must be set: an error naming it otherwise. */
gboolean layer_require_tensor (CnnfiltOp *op, CnnfiltTensor *tensor, const gchar *property,
                               GError **error);

G_END_DECLS
