/* cnnfilt-onnx-private.h: the parts of the ONNX importer, for its files
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * cnnfilt-onnx.c builds the graph: the importer's values and names, one
 * graph node per NodeProto, the model's inputs and outputs, the public
 * entry points. Beside it:
 *   cnnfilt-onnx-decode.c   the protobuf decoder (nesting check, allocator)
 *                           and the tensors read out of the model, those
 *                           of Constant nodes included;
 *   cnnfilt-onnx-mapping.c  a node's attributes and constant inputs set as
 *                           the op's properties, as the op class maps them;
 *   cnnfilt-onnx-shape.c    the shape computations folded at import;
 *   cnnfilt-onnx-fold.c     nodes whose inputs are all constants,
 *                           computed at import;
 *   cnnfilt-onnx-views.c    values of five to eight dims, held in four;
 *   cnnfilt-onnx-patterns.c subgraphs that exporters write for one
 *                           function (GELU, LayerNorm …), imported as one
 *                           op.
 */
#pragma once

#include "cnnfilt-error.h"
#include "cnnfilt-onnx.h"
#include "onnx.pb-c.h"

#include <glib.h>

G_BEGIN_DECLS

#define MAX_RANK 4
/* Values of up to this many dims are views (cnnfilt-onnx-views.c). */
#define MAX_VIEW_RANK 8
/* Constants (initializers, Constant nodes, folds) of up to this many dims
 * are read; an op that needs fewer refuses the rest by name. */
#define FOLD_MAX_RANK 8

typedef struct _View View;

/* An ONNX value (a tensor name) as the importer tracks it. */
typedef struct _Value {
  gint rank;                         /* -1 when unknown */
  gint64 dims[MAX_RANK];             /* -1 where unknown */
  gchar *node;                       /* graph node that holds it; NULL for a constant */
  const Onnx__TensorProto *constant; /* the value of an initializer or Constant */
  GArray *folded;                    /* ShapeElem: a shape computed at import, or NULL */
  View *view;                        /* a value of more dims held in four, or NULL */
  gboolean dim0_other;               /* its dim 0 is not the batch (a view's node) */
} Value;

/* An element of a shape computed at import (Shape, Gather, Concat …): a
 * number, or dimension `dim` of value `of` divided by `divisor` (1 for the
 * dim itself), a size only known when the graph runs (such as the batch;
 * channels / groups in a channel shuffle). */
typedef struct _ShapeElem {
  gint64 number;
  const struct _Value *of;
  gint dim;
  gint64 divisor;
  /* where the size is computed from dims of `of` (Add, Sub, Mul of
   * shapes: PyTorch's chunk), that expression, in d0 … d3 for those dims,
   * then divided by `divisor`; NULL for dim `dim` itself. Owned by the
   * importer (Importer.owned). */
  const gchar *expr;
  /* where `of` is set and `used` is not 0: the size when the graph's
   * inputs have the sizes they declare (the batch free), computed from
   * the dims of `of` in the bit mask `used` (importer_probe_dim), for the
   * folds that need a number (fold_constant_node) */
  gint64 probe;
  guint used;
} ShapeElem;

typedef struct {
  gboolean is_int;
  gint64 i;
  gdouble f;
} Number;

/* A subgraph that a pattern of cnnfilt-onnx-patterns.c matched. */
typedef struct _PatternMatch PatternMatch;

typedef struct {
  CnnfiltGraph *graph;
  Onnx__ModelProto *model;
  GBytes *source;         /* the encoded model, which raw_data point into */
  gboolean source_mapped; /* @source is a mapped file */
  ProtobufCAllocator allocator; /* the model's */
  gchar *base_dir;        /* for external data; NULL when importing bytes */
  gint64 opset;
  GHashTable *values;     /* ONNX name -> Value * */
  GHashTable *names;      /* graph node names in use */
  GHashTable *aligned;    /* (name, rank) -> graph node name, for constants and reshapes */
  GHashTable *consumed;   /* ONNX names read by a node or a graph output */
  GHashTable *node_names; /* NodeProto name -> how many nodes have it */
  GHashTable *all_values; /* every ONNX value name the graph defines */
  GHashTable *declared;   /* ONNX name -> Onnx__ValueInfoProto * (value_info, outputs) */
  GHashTable *external;   /* Onnx__TensorProto * -> GBytes of its external data */
  GPtrArray *synthetic;   /* Onnx__TensorProto * made from Constant attributes */
  GPtrArray *owned;       /* memory the synthetic tensors point to */
  GPtrArray *matches;     /* PatternMatch, owned */
  PatternMatch **match_of; /* per node of the graph: the match it is part of, or NULL */
  GArray *probes;         /* per graph node: its shapes at the declared input sizes (Probe) */
} Importer;

/* The node being imported, for messages. */
typedef struct {
  Importer *imp;
  const Onnx__NodeProto *proto;
  const gchar *label;     /* name, or first output */
  CnnfiltOp *op;
  gint first_rank;        /* rank of the first input, -1 when unknown */
} NodeCtx;

static inline const gchar *
nonnull (const gchar *text)
{
  return text ? text : "";
}

/* ---- cnnfilt-onnx.c ---- */

/* A CNNFILT_ERROR that names the node, its op_type and the opset. */
G_GNUC_INTERNAL G_GNUC_PRINTF (4, 5)
void node_error (GError **error, const NodeCtx *ctx, gint code, const gchar *format, ...);
/* Prefixes @error's message with what node_error() writes first. */
G_GNUC_INTERNAL
void node_prefix_error (GError **error, const NodeCtx *ctx);

/* The value of integer attribute @name of @proto, or @fallback where it
 * has none; *@given (unless NULL) is set when it has. */
G_GNUC_INTERNAL
gint64 int_attribute (const Onnx__NodeProto *proto, const gchar *name, gint64 fallback,
                      gboolean *given);

/* A new Value of unknown rank and dims for @name, owned by the importer. */
G_GNUC_INTERNAL
Value *add_value (Importer *imp, const gchar *name);

/* Imports node @index of the graph, @proto, as its own graph node (or as
 * an importer's value: constants, shapes). */
G_GNUC_INTERNAL
gboolean import_node (Importer *imp, const Onnx__NodeProto *proto, guint index, GError **error);

/* Adds ctx->op, which stands for the nodes up to ctx->proto, to the graph
 * as one node reading value @input, named after ctx->proto, whose first
 * output it writes, with @input's rank. */
G_GNUC_INTERNAL
gboolean add_fused_node (NodeCtx *ctx, const gchar *input, GError **error);

/* A graph node name not yet taken, based on @name_in_file; take_name()
 * takes it once the node is added. */
G_GNUC_INTERNAL
gchar *unique_name (Importer *imp, const gchar *name_in_file);
G_GNUC_INTERNAL
void take_name (Importer *imp, const gchar *name);
/* A `reshape` op to @dims (as ONNX Reshape: 0 keeps the input's dim, one
 * -1 is inferred); NULL with @error. */
G_GNUC_INTERNAL
CnnfiltOp *reshape_op_new (const gint64 dims[MAX_RANK], GError **error);
/* Adds a `slice` node @name reading graph node @input from @starts to
 * @ends along @axis of a rank-@rank value. */
G_GNUC_INTERNAL
gboolean add_slice_node (NodeCtx *ctx, const gchar *name, const gchar *input, const gchar *starts,
                         const gchar *ends, gint64 axis, gint rank, GError **error);

/* ---- cnnfilt-onnx-views.c ---- */

G_GNUC_INTERNAL
void view_free (View *view);
/* Whether @proto is a Reshape to five dims or more. */
G_GNUC_INTERNAL
gboolean is_view_reshape (Importer *imp, const Onnx__NodeProto *proto);
/* Imports it: a view of its input. */
G_GNUC_INTERNAL
gboolean import_view_reshape_node (NodeCtx *ctx, GError **error);
/* Whether an input of @proto is a view. */
G_GNUC_INTERNAL
gboolean reads_view (Importer *imp, const Onnx__NodeProto *proto);
/* A graph node that holds the view of @value, which has at most four
 * dims: for a graph output. */
G_GNUC_INTERNAL
const gchar *view_output_node (NodeCtx *ctx, Value *value, GError **error);
/* Imports a node that reads a view (reads_view). */
G_GNUC_INTERNAL
gboolean import_on_view (NodeCtx *ctx, GError **error);

/* ---- cnnfilt-onnx-decode.c ---- */

/* The ModelProto in @source, its nesting checked before protobuf-c, which
 * recurses once per level, unpacks it; NULL with @error when @source is not
 * a model with a graph. The initializers' raw_data point into @source,
 * which must outlive the model. Sets @allocator, which model_free() takes. */
G_GNUC_INTERNAL
Onnx__ModelProto *decode_model (GBytes *source, ProtobufCAllocator *allocator, GError **error);
G_GNUC_INTERNAL
void model_free (Onnx__ModelProto *model, ProtobufCAllocator *allocator);

/* "FLOAT", "INT64" …, for messages. */
G_GNUC_INTERNAL
const gchar *data_type_name (gint type);

/* Checks what the importer reads of a tensor: its type, its dims (rank at
 * most 4, every dim at least 1, a bounded total) and that exactly the data
 * its dims call for is present, reading external data relative to the
 * model's folder. @what names the tensor in messages. */
G_GNUC_INTERNAL
gboolean check_tensor (Importer *imp, const Onnx__TensorProto *tensor, const gchar *what,
                       GError **error);
/* The product of a checked tensor's dims. */
G_GNUC_INTERNAL
gint64 tensor_n_elements (const Onnx__TensorProto *tensor);
/* The values of a checked tensor of any numeric type: Number. */
G_GNUC_INTERNAL
GArray *tensor_numbers (Importer *imp, const Onnx__TensorProto *tensor);
/* A checked float32 tensor as a CnnfiltTensor: its dims are first aligned
 * to @align_rank with leading 1s (numpy broadcasting; -1 for none), then
 * padded to four with trailing 1s. */
G_GNUC_INTERNAL
CnnfiltTensor *tensor_to_cnnfilt (Importer *imp, const Onnx__TensorProto *tensor,
                                  gint align_rank, const gchar *what, GError **error);

/* The tensor a Constant node holds (its one attribute: value,
 * value_float(s) or value_int(s)), checked; the importer makes and owns
 * those of the number attributes. NULL with @error. */
G_GNUC_INTERNAL
const Onnx__TensorProto *constant_tensor (NodeCtx *ctx, GError **error);

/* ---- cnnfilt-onnx-mapping.c ---- */

/* Sets the properties of ctx->op from the node's constant inputs and its
 * attributes (with the defaults of those it leaves out), as the op class's
 * onnx_inputs and onnx_attributes say. Appends the ONNX names of the data
 * inputs, the graph's edges, to @data_names; *@shape_length becomes the
 * number of values of a "shape" input or attribute where there is one. */
G_GNUC_INTERNAL
gboolean map_node_to_op (NodeCtx *ctx, GPtrArray *data_names, gint *shape_length,
                         GError **error);

/* ---- cnnfilt-onnx-fold.c ---- */

/* Whether @proto can be computed at import: an op the folder knows (Add,
 * Mod, Range, ScatterND, Slice, Where …) whose inputs are all constants
 * of at most 8 dims and 2^20 values, or with @probes, shapes whose sizes
 * known only when the graph runs have a probe (shape_elem_probe: the
 * graph then runs only at those sizes). */
G_GNUC_INTERNAL
gboolean is_constant_fold (Importer *imp, const Onnx__NodeProto *proto, gboolean probes);
/* Whether @op_type has no op and imports only as a fold (Mod, Range,
 * ScatterND, Not, Less, Greater). */
G_GNUC_INTERNAL
gboolean is_fold_only_op (const gchar *op_type);
/* Computes ctx->proto (is_constant_fold), its output a constant of the
 * importer; FALSE with @error, naming the node, where the spec's result
 * cannot be computed. */
G_GNUC_INTERNAL
gboolean fold_constant_node (NodeCtx *ctx, GError **error);

/* ---- cnnfilt-onnx-shape.c ---- */

/* The elements of a folded value, or of an integer constant of rank 0 or
 * 1; NULL otherwise. *@scalar tells rank 0. */
G_GNUC_INTERNAL
GArray *shape_elems (Importer *imp, const Value *value, gboolean *scalar);

/* Dim @k of graph node @node when the graph's inputs have the sizes they
 * declare, the same at batch 1 and 2: TRUE and *@size, or FALSE where the
 * inputs leave it free or the batch changes it. */
G_GNUC_INTERNAL
gboolean importer_probe_dim (Importer *imp, const gchar *node, gint k, gint64 *size);
/* Makes the graph refuse to run unless dim @k of node @node is @size: a
 * constant was computed from it at import. */
G_GNUC_INTERNAL
void importer_guard_dim (Importer *imp, const gchar *node, gint k, gint64 size);
/* The number an element of a folded shape has at the declared input sizes
 * (a number: itself); FALSE where it has none. */
G_GNUC_INTERNAL
gboolean shape_elem_peek (Importer *imp, const ShapeElem *e, gint64 *number);
/* shape_elem_peek(), and the dims it is computed from guarded
 * (importer_guard_dim): for a number that is then used. */
G_GNUC_INTERNAL
gboolean shape_elem_probe (Importer *imp, const ShapeElem *e, gint64 *number);

/* Whether @op_type is always a shape computation (Shape, Gather,
 * Unsqueeze, Squeeze, Cast), folded at import; Concat, Div, Add, Sub and
 * Mul are when they compute on shapes (is_shape_concat, is_shape_div,
 * is_shape_arith), Reshape when it reshapes one (is_shape_reshape). */
G_GNUC_INTERNAL
gboolean is_shape_op (const gchar *op_type);
/* Whether @proto is a Concat of shapes: one input at least folded, all
 * shapes or integer constants. */
G_GNUC_INTERNAL
gboolean is_shape_concat (Importer *imp, const Onnx__NodeProto *proto);
/* Whether @proto is a Div of a folded shape by one positive integer
 * constant (channels // groups). */
G_GNUC_INTERNAL
gboolean is_shape_div (Importer *imp, const Onnx__NodeProto *proto);
/* Whether @proto is an Add, Sub or Mul of shapes and integer constants,
 * one input at least a folded shape. */
G_GNUC_INTERNAL
gboolean is_shape_arith (Importer *imp, const Onnx__NodeProto *proto);
/* Whether @proto is a Reshape of a folded 1-D shape. */
G_GNUC_INTERNAL
gboolean is_shape_reshape (Importer *imp, const Onnx__NodeProto *proto);
/* Runs a shape computation node at import, its output a folded Value.
 * FALSE with @error when it does not compute a shape from shapes and
 * constants. */
G_GNUC_INTERNAL
gboolean fold_shape_node (NodeCtx *ctx, GError **error);
/* Whether reshape_target takes @shape for @data. */
G_GNUC_INTERNAL
gboolean reshape_target_fits (const Value *shape, const Value *data);
/* The target shape of a Reshape of @data from a folded shape: a size only
 * known at run time is the same dim of @data (or the batch), which
 * Reshape writes as 0, "keep", or else the only such size with no -1
 * beside it, which Reshape infers (-1). NULL with @error otherwise. */
G_GNUC_INTERNAL
const Onnx__TensorProto *reshape_target (NodeCtx *ctx, const Value *shape, const Value *data,
                                         GError **error);
/* A folded Reshape target that reshape_target does not take, as the text
 * of reshape's `shape`: numbers, @data's own dims in place as 0, the
 * other sizes known only when the graph runs as expressions of the dims of
 * the tensor most of them come from, *@ref (NULL where that is @data),
 * which the node then takes as a second input, and one size of any other
 * tensor, with no -1 beside it, as -1. NULL with @error where more are
 * left. */
G_GNUC_INTERNAL
gchar *reshape_shape_text (NodeCtx *ctx, const Value *shape, const Value *data, const Value **ref,
                           GError **error);
/* A folded @shape, or an integer constant, as the text of a string
 * property (slice's starts and ends, expand's shape): its numbers, and each size known only when the graph runs as an
 * expression of the dims d0 … d3 of @data, the node's first input, which
 * it must be computed from. NULL with @error where one is not; @source
 * names the input in messages. */
G_GNUC_INTERNAL
gchar *shape_text (NodeCtx *ctx, const Value *shape, const Value *data, const gchar *source,
                   GError **error);

/* ---- cnnfilt-onnx-patterns.c ---- */

/* Matches the patterns over the model's nodes, before any is imported:
 * fills imp->matches and imp->match_of. */
G_GNUC_INTERNAL
void find_patterns (Importer *imp);
G_GNUC_INTERNAL
void pattern_match_free (gpointer match);
/* Node @index where it is part of a match (*@handled): nothing for the
 * nodes before the match's last, which imports the match as one op, or,
 * where the values do not fit the pattern, its nodes one by one. */
G_GNUC_INTERNAL
gboolean import_match (Importer *imp, guint index, gboolean *handled, GError **error);

G_END_DECLS
