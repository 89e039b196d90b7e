/* cnnfilt-op.h: the abstract operator
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined (CNNFILT_INSIDE) && !defined (CNNFILT_COMPILATION)
#error "Only <cnnfilt.h> can be included directly."
#endif

#include <glib-object.h>
#include "cnnfilt-device.h"
#include "cnnfilt-tensor.h"

G_BEGIN_DECLS

/**
 * CnnfiltRunContext:
 * @device: the device the op runs on
 * @n_threads: how many threads the op may use on this input (1 or more):
 *   the device's #CnnfiltDevice:n-threads, or one per core where that is 0
 *
 * What a graph hands an op with each run: where it runs and with how many
 * threads. A program that runs several graphs at once in its own threads
 * (`cnnfilt run` on a folder, one image per core) sets the device's
 * #CnnfiltDevice:n-threads to 1, so that threads across images and inside
 * ops are never combined.
 */
typedef struct {
  CnnfiltDevice *device;
  guint n_threads;
  /*< private >*/
  gpointer padding[4];
} CnnfiltRunContext;

/**
 * CnnfiltLayoutSupport:
 * @CNNFILT_LAYOUT_SUPPORT_NCHW: the op reads and writes NCHW only
 * @CNNFILT_LAYOUT_SUPPORT_INPUT: it reads inputs in either layout (each
 *   tensor says its own)
 * @CNNFILT_LAYOUT_SUPPORT_OUTPUT: it writes either layout, as its output
 *   tensor says
 * @CNNFILT_LAYOUT_SUPPORT_ELEMENTWISE: it computes value by value, so it
 *   runs in whichever layout its inputs share and writes that layout
 *
 * What a graph may give an op and ask of it, for input shapes; see
 * #CnnfiltLayout. Graphs keep tensors channels-last between ops that all
 * support it, which spares the convolutions their reorders.
 */
typedef enum /*< flags >*/ {
  CNNFILT_LAYOUT_SUPPORT_NCHW = 0,
  CNNFILT_LAYOUT_SUPPORT_INPUT = 1 << 0,
  CNNFILT_LAYOUT_SUPPORT_OUTPUT = 1 << 1,
  CNNFILT_LAYOUT_SUPPORT_ELEMENTWISE = 1 << 2,
} CnnfiltLayoutSupport;

/**
 * CnnfiltOpPropType:
 * @CNNFILT_OP_PROP_INT: a #gint field
 * @CNNFILT_OP_PROP_FLOAT: a #gfloat field
 * @CNNFILT_OP_PROP_DOUBLE: a #gdouble field
 * @CNNFILT_OP_PROP_BOOLEAN: a #gboolean field
 * @CNNFILT_OP_PROP_ENUM: a #gint field holding a value of the enum type
 * @CNNFILT_OP_PROP_STRING: a #gchar pointer field, owned by the op
 * @CNNFILT_OP_PROP_TENSOR: a #CnnfiltTensor pointer field, owned by the op
 * @CNNFILT_OP_PROP_SHORTHAND: a write-only int that sets every #gint field
 *   of the entry's offsets ("padding" sets the four pad-* sides)
 * @CNNFILT_OP_PROP_UINT: a #guint field
 *
 * The kinds of parameter a #CnnfiltOpProp declares.
 */
typedef enum {
  CNNFILT_OP_PROP_INT,
  CNNFILT_OP_PROP_FLOAT,
  CNNFILT_OP_PROP_DOUBLE,
  CNNFILT_OP_PROP_BOOLEAN,
  CNNFILT_OP_PROP_ENUM,
  CNNFILT_OP_PROP_STRING,
  CNNFILT_OP_PROP_TENSOR,
  CNNFILT_OP_PROP_SHORTHAND,
  CNNFILT_OP_PROP_UINT,
} CnnfiltOpPropType;

/**
 * CnnfiltOpPropFlags:
 * @CNNFILT_OP_PROP_FLAGS_NONE: a plain parameter; a tensor one is learned
 * @CNNFILT_OP_PROP_FLAGS_BUFFER: a tensor that is state, not a learned
 *   parameter (batch normalization's running statistics): parameter counts
 *   leave it out, as PyTorch's do
 *
 * What a #CnnfiltOpProp is, besides its value.
 */
typedef enum /*< flags >*/ {
  CNNFILT_OP_PROP_FLAGS_NONE = 0,
  CNNFILT_OP_PROP_FLAGS_BUFFER = 1 << 0,
} CnnfiltOpPropFlags;

/**
 * CnnfiltOpProp:
 * @name: the property name, kebab-case ("stride-h")
 * @blurb: one line saying what it does, for `cnnfilt inspect` and the docs
 * @type: its kind
 * @offset: where the value lives in the instance (CNNFILT_OP_PROP_FIELD())
 * @min: the smallest value of a number
 * @max: the largest value of a number
 * @def: the default of a number, a boolean (0 or 1) or an enum
 * @enum_type: the enum's get_type function, for %CNNFILT_OP_PROP_ENUM
 * @offsets: for %CNNFILT_OP_PROP_SHORTHAND, the #gint fields it sets; -1
 *   ends a list shorter than four
 * @default_string: the default of a string, or %NULL
 * @flags: what else it is
 *
 * One parameter of an op, declared in a table that
 * cnnfilt_op_class_install_properties() turns into GObject properties (the
 * libvips way): the base class then sets, gets and frees the values, so an
 * op file holds no property code. The pipeline parser, `cnnfilt inspect`,
 * the ONNX importer and the bindings read the properties as any others.
 */
typedef struct {
  const gchar *name;
  const gchar *blurb;
  CnnfiltOpPropType type;
  gsize offset;
  gdouble min, max, def;
  GType (*enum_type) (void);
  gssize offsets[4];
  const gchar *default_string;
  CnnfiltOpPropFlags flags;
} CnnfiltOpProp;

/**
 * CNNFILT_OP_PROP_FIELD:
 * @Type: the op's instance struct
 * @field: the field holding the value
 *
 * The @offset of a #CnnfiltOpProp.
 */
#define CNNFILT_OP_PROP_FIELD(Type, field) G_STRUCT_OFFSET (Type, field)

/**
 * CnnfiltOpWindow:
 * @kernel_h: rows of input one output value sees, dilation included
 * @kernel_w: columns of input one output value sees, dilation included
 * @stride_h: rows between neighbouring windows
 * @stride_w: columns between neighbouring windows
 * @is_global: each output value sees the whole input (global pools, linear)
 *
 * The sliding window of a convolution or pool, for receptive fields.
 */
typedef struct {
  guint kernel_h, kernel_w;
  guint stride_h, stride_w;
  gboolean is_global;
} CnnfiltOpWindow;

#define CNNFILT_TYPE_OP (cnnfilt_op_get_type ())
G_DECLARE_DERIVABLE_TYPE (CnnfiltOp, cnnfilt_op, CNNFILT, OP, GObject)

/**
 * CnnfiltOpClass:
 * @parent_class: the parent class
 * @name: the op's kebab-case name, as used in pipelines ("sobel")
 * @description: one line saying what the op computes
 * @onnx_op_type: the ONNX op_type it implements, or %NULL
 * @n_inputs: how many input tensors it takes; 0 for any number from one up
 *   (concat)
 * @validate: checks the properties on their own, before any shape is
 *   known; optional
 * @infer: computes the output shape for the given input shapes, or fails
 *   with an error naming the property or shape at fault
 * @run: computes @output, already shaped by @infer, on the CPU, with the
 *   threads @ctx allows
 * @run_cl: computes @output on an OpenCL device; optional. Where an op has
 *   no implementation for the graph's device, its @run runs on the CPU,
 *   and a graph with #CnnfiltGraph:trace set says so
 * @fuse: returns a new op that computes this op followed by @next (which
 *   reads this op's output, and nothing else does), or %NULL where the two
 *   do not fuse; optional. Where @next takes a second input, of the output's
 *   shape, the fused op takes this op's inputs followed by that one. Graphs
 *   call it when they are prepared: conv2d absorbs batchnorm, clamping
 *   activations and a residual add this way. Neither op may change.
 * @flops_per_output: floating-point operations per output value of an op
 *   that computes value by value (1 for relu, add …); used where @flops is
 *   %NULL
 * @flops: the op's floating-point operations for these shapes, a multiply
 *   and an add counting two; optional
 * @window: fills @window where the op slides a window over its input, or
 *   says it sees the whole input; returns %FALSE where each output value
 *   sees the same place of the input (the receptive field does not grow);
 *   optional
 * @changed: called after any property of the op's table is set, to drop
 *   what was planned from the old values; optional
 * @example: a pipeline that shows the op in use, for `cnnfilt inspect`
 *   ("conv2d weights=w.npy ! relu"); optional
 * @keeps_values: the output holds input 0's values in the same order
 *   (reshape, flatten, dropout, identity): a graph lets such a node take
 *   over its input's buffer, its shape changed, instead of running it,
 *   where it is that buffer's last reader and neither is a graph output
 * @layouts: which tensor layouts the op handles for these input shapes;
 *   optional (%NULL: NCHW only)
 * @onnx_inputs: how the ONNX node's inputs map onto the op, one
 *   space-separated entry per input position: `-` for a data input (an edge
 *   of the graph); otherwise the input is a constant, named either by a key
 *   of @onnx_attributes (its values are applied as that attribute's would be)
 *   or by a property (a tensor property takes the tensor, a number property
 *   its single value). A trailing `^` aligns the tensor's rank to the first
 *   input's, numpy-style (leading 1s), before it is padded to four
 *   dimensions; `^AXIS` puts its first dim at dim AXIS of the first input
 *   instead (ONNX's broadcasting before opset 7: `^1` is one value per
 *   channel). Where an input meant something else in older opsets, an entry
 *   holds alternatives separated by `|`, each ending in `@OPSETS` (as in
 *   @onnx_attributes): the first whose opsets hold the model's applies
 *   (`slope^1@-6|slope^`). %NULL means as many `-` as @n_inputs.
 * @onnx_attributes: how ONNX attributes map to properties, space-separated
 *   entries `NAME[@OPSETS][=DEFAULT]:TARGETS`. OPSETS (`6`, `1-6`, `-6`,
 *   `7-`) limits the entry to models of those opsets, for attributes an
 *   operator had or lost at some version: elsewhere the attribute is
 *   unsupported and the entry's DEFAULT is not applied. TARGETS are
 *   comma-separated: each a property, a number the value in that position
 *   must equal, or `PROPERTY[K]`, dim K (0 to 3) of a tensor property set
 *   from an input, which the value must equal (for attributes that restate
 *   what the weights say); empty TARGETS accept the attribute and ignore
 *   it. A list must have as many values as targets unless TARGETS end in
 *   `...`. DEFAULT (comma-separated) is applied when the node lacks the
 *   attribute, where ONNX's default differs from the property's. Strings set
 *   enum nicks (lower case, `_` as `-`); a list of numbers given to one
 *   string property is set as its values joined by commas; a negative `axis`
 *   or value of `axes` has the first input's rank added. Attributes not
 *   listed are unsupported. An entry without NAME (`=DEFAULT:TARGETS`) is
 *   applied to every node: its DEFAULT may be `RANK`, the rank of the
 *   node's data inputs (the largest, to which the others are aligned), for
 *   ops that must know which of the four stored dims are the model's.
 *
 * The class of every operator. Parameters are GObject properties, each with
 * a nick, a blurb, a range and a default: the pipeline parser, `cnnfilt
 * inspect` and the bindings read them from there.
 */
struct _CnnfiltOpClass {
  GObjectClass parent_class;

  const gchar *name;
  const gchar *description;
  const gchar *onnx_op_type;
  guint n_inputs;

  gboolean (*validate) (CnnfiltOp *op, GError **error);
  gboolean (*infer)    (CnnfiltOp *op, const CnnfiltShape *inputs, guint n_inputs,
                        CnnfiltShape *output, GError **error);
  gboolean (*run)      (CnnfiltOp *op, const CnnfiltRunContext *ctx, CnnfiltTensor **inputs,
                        guint n_inputs, CnnfiltTensor *output, GError **error);
  gboolean (*run_cl)   (CnnfiltOp *op, const CnnfiltRunContext *ctx, CnnfiltTensor **inputs,
                        guint n_inputs, CnnfiltTensor *output, GError **error);
  CnnfiltOp *(*fuse)   (CnnfiltOp *op, CnnfiltOp *next);
  CnnfiltLayoutSupport (*layouts) (CnnfiltOp *op, const CnnfiltShape *inputs, guint n_inputs);
  void (*changed) (CnnfiltOp *op);
  guint flops_per_output;
  guint64 (*flops) (CnnfiltOp *op, const CnnfiltShape *inputs, guint n_inputs,
                    const CnnfiltShape *output);
  gboolean (*window) (CnnfiltOp *op, CnnfiltOpWindow *window);

  const gchar *onnx_inputs;
  const gchar *onnx_attributes;
  const gchar *example;
  gboolean keeps_values;

  /*< private >*/
  gpointer padding[3];
};

void           cnnfilt_op_class_install_properties (CnnfiltOpClass *klass,
                                                    const CnnfiltOpProp *props, guint n_props);
const CnnfiltOpProp *cnnfilt_op_find_prop (CnnfiltOp *op, const gchar *name);

guint64        cnnfilt_op_get_n_params (CnnfiltOp *op);
guint64        cnnfilt_op_get_flops    (CnnfiltOp *op, const CnnfiltShape *inputs, guint n_inputs,
                                        const CnnfiltShape *output);
gboolean       cnnfilt_op_get_window   (CnnfiltOp *op, CnnfiltOpWindow *window);

CnnfiltOp     *cnnfilt_op_new              (const gchar *name, GError **error);
const gchar   *cnnfilt_op_get_name         (CnnfiltOp *op);
const gchar   *cnnfilt_op_get_description  (CnnfiltOp *op);
guint          cnnfilt_op_get_n_inputs     (CnnfiltOp *op);
gboolean       cnnfilt_op_runs_on          (CnnfiltOp *op, CnnfiltDeviceKind kind);

gboolean       cnnfilt_op_set_property_from_string (CnnfiltOp *op, const gchar *property,
                                                    const gchar *value, GError **error);
gchar         *cnnfilt_op_get_property_as_string   (CnnfiltOp *op, const gchar *property);

gboolean       cnnfilt_op_validate (CnnfiltOp *op, GError **error);
gboolean       cnnfilt_op_infer    (CnnfiltOp *op, const CnnfiltShape *inputs, guint n_inputs,
                                    CnnfiltShape *output, GError **error);
gboolean       cnnfilt_op_run      (CnnfiltOp *op, CnnfiltTensor **inputs, guint n_inputs,
                                    CnnfiltTensor *output, GError **error);
gboolean       cnnfilt_op_run_on_device (CnnfiltOp *op, CnnfiltDevice *device,
                                         CnnfiltTensor **inputs, guint n_inputs,
                                         CnnfiltTensor *output, GError **error);
CnnfiltTensor *cnnfilt_op_process  (CnnfiltOp *op, CnnfiltTensor *input, GError **error);
CnnfiltOp     *cnnfilt_op_fuse     (CnnfiltOp *op, CnnfiltOp *next);
CnnfiltOp     *cnnfilt_op_copy     (CnnfiltOp *op);
CnnfiltLayoutSupport cnnfilt_op_get_layout_support (CnnfiltOp *op, const CnnfiltShape *inputs,
                                                    guint n_inputs);

gchar         *cnnfilt_value_to_string (const GValue *value);

gboolean       cnnfilt_op_infer_same_shape (CnnfiltOp *op, const CnnfiltShape *inputs,
                                            guint n_inputs, CnnfiltShape *output,
                                            GError **error);

#define CNNFILT_TYPE_POINT_OP (cnnfilt_point_op_get_type ())
G_DECLARE_DERIVABLE_TYPE (CnnfiltPointOp, cnnfilt_point_op, CNNFILT, POINT_OP, CnnfiltOp)

/**
 * CnnfiltPointOpClass:
 * @parent_class: the parent class
 * @expression: the C expression that computes each output value from `x`
 *   (and the op's fields through `self`), as CNNFILT_POINT_OP_RUN() wrote
 *   it; the OpenCL kernel of the op is to be made from the same text
 *
 * The base of ops that map each value on its own (relu, sigmoid, abs …):
 * one input, an output of its shape, either tensor layout, one operation
 * per value for FLOPs. A subclass defines its run with
 * CNNFILT_POINT_OP_RUN() and sets it with CNNFILT_POINT_OP_CLASS_SET_RUN().
 */
struct _CnnfiltPointOpClass {
  CnnfiltOpClass parent_class;
  const gchar *expression;

  /*< private >*/
  gpointer padding[4];
};

/**
 * CNNFILT_POINT_OP_RUN:
 * @func: the run function to define
 * @Type: the op's instance type, seen as `self` in @expr
 * @expr: the output value for input value `x`
 *
 * Defines `static gboolean func (op, ctx, inputs, n_inputs, output, error)`
 * writing out[i] = @expr for each x = in[i], and keeps @expr's text. The
 * count is read by value: one whose address escaped would be reloaded
 * after every store, and the loop would not vectorise.
 */
#define CNNFILT_POINT_OP_RUN(func, Type, expr)                                                 \
  static const gchar func##_expression[] = #expr;                                              \
  static gboolean func (CnnfiltOp *op, const CnnfiltRunContext *ctx G_GNUC_UNUSED,             \
                        CnnfiltTensor **inputs, guint n_inputs G_GNUC_UNUSED,                 \
                        CnnfiltTensor *output, GError **error G_GNUC_UNUSED)                  \
  {                                                                                            \
    const Type *self G_GNUC_UNUSED = (const Type *) op;                                        \
    const gsize count = cnnfilt_tensor_get_size (inputs[0]);                                   \
    const gfloat *restrict in = cnnfilt_tensor_get_data (inputs[0], NULL);                      \
    gfloat *restrict out = cnnfilt_tensor_get_data (output, NULL);                             \
    for (gsize i = 0; i < count; i++)                                                          \
      {                                                                                        \
        const gfloat x = in[i];                                                                \
        out[i] = (expr);                                                                       \
      }                                                                                        \
    return TRUE;                                                                               \
  }

/**
 * CNNFILT_POINT_OP_CLASS_SET_RUN:
 * @klass: a #CnnfiltPointOpClass subclass, in its class_init
 * @func: a run function defined with CNNFILT_POINT_OP_RUN()
 *
 * Sets @klass's run and its expression.
 */
#define CNNFILT_POINT_OP_CLASS_SET_RUN(klass, func)                                            \
  G_STMT_START                                                                                 \
  {                                                                                            \
    CNNFILT_OP_CLASS (klass)->run = func;                                                      \
    CNNFILT_POINT_OP_CLASS (klass)->expression = func##_expression;                            \
  }                                                                                            \
  G_STMT_END

G_END_DECLS
