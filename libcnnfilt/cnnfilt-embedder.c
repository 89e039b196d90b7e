/* cnnfilt-embedder.c: photos to embedding vectors with a pretrained model
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * An embedder is two graphs: the preparation a model expects (decode
 * reduced towards the model's size, RGB, resize, centre crop, standardize:
 * cnnfilt_imagenet_pipeline()) and the model cut at a layer and pooled over
 * height and width. Any number of threads prepare images at once, each
 * with a preparation graph of its own taken from a pool; the model, held
 * once, runs one batch at a time with every thread of its device. So
 * decoding on some cores overlaps the model on the others, as `cnnfilt
 * classify` does it.
 */
#include "cnnfilt-embedder.h"
#include "cnnfilt-error.h"
#include "cnnfilt-graph.h"
#include "cnnfilt-image.h"
#include "cnnfilt-onnx.h"
#include "cnnfilt-parse.h"
#include "cnnfilt-preprocess.h"

#include <string.h>

#define DEFAULT_MODEL "mobilenet_v2_140.onnx"

/* One thread's preparation: its graph and the decoded image it reuses. */
typedef struct {
  CnnfiltGraph *graph;
  CnnfiltTensor *image;
} Preparer;

struct _CnnfiltEmbedder {
  GObject parent_instance;
  gchar *model_path;     /* canonical */
  gchar *layer;          /* NULL: the model's output */
  gchar *identity;
  guint dimension;
  CnnfiltShape input;    /* one prepared image */
  guint shrink_to;       /* decode reduced towards this side */
  gchar *prepare_text;
  CnnfiltLoadFlags load_flags;
  guint64 max_pixels;

  GMutex model_lock;     /* held while the model runs */
  CnnfiltGraph *model;
  GMutex pool_lock;
  GPtrArray *pool;       /* idle Preparers */
};

enum { PROP_0, PROP_LOAD_FLAGS, PROP_MAX_PIXELS, N_PROPS };
static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (CnnfiltEmbedder, cnnfilt_embedder, G_TYPE_OBJECT)

static void
preparer_free (gpointer data)
{
  Preparer *p = data;
  g_object_unref (p->graph);
  g_object_unref (p->image);
  g_free (p);
}

static void
cnnfilt_embedder_finalize (GObject *object)
{
  CnnfiltEmbedder *self = CNNFILT_EMBEDDER (object);
  g_clear_object (&self->model);
  g_ptr_array_unref (self->pool);
  g_mutex_clear (&self->model_lock);
  g_mutex_clear (&self->pool_lock);
  g_free (self->model_path);
  g_free (self->layer);
  g_free (self->identity);
  g_free (self->prepare_text);
  G_OBJECT_CLASS (cnnfilt_embedder_parent_class)->finalize (object);
}

static void
cnnfilt_embedder_get_property (GObject *object, guint id, GValue *value, GParamSpec *pspec)
{
  CnnfiltEmbedder *self = CNNFILT_EMBEDDER (object);
  switch (id)
    {
    case PROP_LOAD_FLAGS:
      g_value_set_flags (value, self->load_flags);
      break;
    case PROP_MAX_PIXELS:
      g_value_set_uint64 (value, self->max_pixels);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, id, pspec);
    }
}

static void
cnnfilt_embedder_set_property (GObject *object, guint id, const GValue *value, GParamSpec *pspec)
{
  CnnfiltEmbedder *self = CNNFILT_EMBEDDER (object);
  switch (id)
    {
    case PROP_LOAD_FLAGS:
      self->load_flags = g_value_get_flags (value);
      break;
    case PROP_MAX_PIXELS:
      self->max_pixels = g_value_get_uint64 (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, id, pspec);
    }
}

static void
cnnfilt_embedder_class_init (CnnfiltEmbedderClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  object_class->finalize = cnnfilt_embedder_finalize;
  object_class->get_property = cnnfilt_embedder_get_property;
  object_class->set_property = cnnfilt_embedder_set_property;
  /**
   * CnnfiltEmbedder:load-flags:
   *
   * How photos are decoded by cnnfilt_embedder_prepare_file() and
   * cnnfilt_embedder_embed_file(): upright by their EXIF orientation
   * unless %CNNFILT_LOAD_NO_AUTOROTATE.
   */
  properties[PROP_LOAD_FLAGS] =
      g_param_spec_flags ("load-flags", NULL, NULL, CNNFILT_TYPE_LOAD_FLAGS, CNNFILT_LOAD_DEFAULT,
                          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  /**
   * CnnfiltEmbedder:max-pixels:
   *
   * Photos of more pixels than this, once reduced on loading towards the
   * model's size, are refused before they are decoded; 0 for no limit.
   */
  properties[PROP_MAX_PIXELS] =
      g_param_spec_uint64 ("max-pixels", NULL, NULL, 0, G_MAXUINT64, CNNFILT_IMAGE_DEFAULT_MAX_PIXELS,
                           G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
cnnfilt_embedder_init (CnnfiltEmbedder *self)
{
  g_mutex_init (&self->model_lock);
  g_mutex_init (&self->pool_lock);
  self->pool = g_ptr_array_new_with_free_func (preparer_free);
  self->max_pixels = CNNFILT_IMAGE_DEFAULT_MAX_PIXELS;
}

/**
 * cnnfilt_embedder_find_default_model:
 * @error: return location for a #GError
 *
 * Finds the default embedding model, `mobilenet_v2_140.onnx` (MobileNetV2
 * 1.4 trained on ImageNet; 1,792 values per photo): in the folder
 * `$CNNFILT_MODELDIR` when set, else the installed data folder, else the
 * source tree's `models/`. The project's set-up makes it.
 *
 * Returns: (transfer full) (type filename): its path, or %NULL with
 *   @error set when it is in none of them
 */
gchar *
cnnfilt_embedder_find_default_model (GError **error)
{
  const gchar *dirs[] = { g_getenv ("CNNFILT_MODELDIR"), CNNFILT_MODELDIR, CNNFILT_SOURCE_MODELDIR };
  for (guint i = 0; i < G_N_ELEMENTS (dirs); i++)
    if (dirs[i] != NULL)
      {
        gchar *path = g_build_filename (dirs[i], DEFAULT_MODEL, NULL);
        if (g_file_test (path, G_FILE_TEST_IS_REGULAR))
          return path;
        g_free (path);
      }
  g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_IO,
               "no default model (%s): make it with models/fetch-default-model.sh (npm and "
               "python3-onnx), or give one with -m MODEL.onnx", DEFAULT_MODEL);
  return NULL;
}

/* The SHA-256 of the model file's first 16 MiB and its size: enough to
 * tell models apart without reading a large one twice. */
static gchar *
model_identity (const gchar *path, const gchar *layer, GError **error)
{
  g_autoptr (GMappedFile) file = g_mapped_file_new (path, FALSE, error);
  if (file == NULL)
    return NULL;
  gsize length = g_mapped_file_get_length (file);
  g_autofree gchar *sum = g_compute_checksum_for_data (
      G_CHECKSUM_SHA256, (const guchar *) g_mapped_file_get_contents (file), MIN (length, 16u << 20));
  g_autofree gchar *base = g_path_get_basename (path);
  return g_strdup_printf ("%s %" G_GSIZE_FORMAT " bytes sha256:%.16s layer %s", base, length, sum,
                          layer ? layer : "(output)");
}

/* A pipeline value for @text, quoted with whichever quote it does not
 * hold; NULL with @error set when it holds both. */
static gchar *
quote_value (const gchar *what, const gchar *text, GError **error)
{
  if (strchr (text, '\'') == NULL)
    return g_strdup_printf ("'%s'", text);
  if (strchr (text, '"') == NULL)
    return g_strdup_printf ("\"%s\"", text);
  g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_INVALID_ARGUMENT,
               "%s %s holds both kinds of quote, which a pipeline cannot carry: rename it", what,
               text);
  return NULL;
}

/* The shape one photo is prepared to: what the model declares, with a
 * free batch 1 and free channels, height and width 3, 224 and 224. */
static void
resolve_input (CnnfiltGraph *model, CnnfiltShape *shape)
{
  CnnfiltShape declared = { 0 };
  cnnfilt_graph_get_input_shape (model, 0, &declared);
  *shape = (CnnfiltShape) { 1, declared.c ? declared.c : 3, declared.h ? declared.h : 224,
                            declared.w ? declared.w : 224 };
}

/* Reads the model, finds its input and the embedding's length, and makes
 * the model graph: the model cut at the layer, then a global average pool
 * (which leaves a layer of one value per channel as it is). */
static gboolean
load_model (CnnfiltEmbedder *self, GError **error)
{
  g_autoptr (CnnfiltGraph) onnx = cnnfilt_graph_new_from_onnx_file (self->model_path, error);
  if (onnx == NULL)
    return FALSE;
  resolve_input (onnx, &self->input);
  self->prepare_text = cnnfilt_imagenet_pipeline (&self->input, 0, NULL, NULL);
  self->shrink_to = cnnfilt_imagenet_resize (&self->input, 0);
  g_autofree gchar *file = quote_value ("the model file", self->model_path, error);
  g_autofree gchar *output = self->layer ? quote_value ("the layer", self->layer, error) : g_strdup ("");
  if (file == NULL || output == NULL)
    return FALSE;
  g_autofree gchar *text = g_strdup_printf ("model file=%s%s%s", file, self->layer ? " output=" : "",
                                            output);
  g_autoptr (CnnfiltGraph) cut = cnnfilt_graph_new_from_string (text, error);
  CnnfiltShape out;
  if (cut == NULL || !cnnfilt_graph_prepare (cut, &self->input, 1, error))
    return FALSE;
  cnnfilt_graph_get_output_shape (cut, 0, &out);
  if (out.h * out.w > 1)
    {
      g_autofree gchar *pooled = g_strconcat (text, " ! global-avg-pool", NULL);
      self->model = cnnfilt_graph_new_from_string (pooled, error);
      if (self->model == NULL)
        return FALSE;
    }
  else
    self->model = g_steal_pointer (&cut);
  self->dimension = out.c;
  return TRUE;
}

/**
 * cnnfilt_embedder_new:
 * @model_path: (nullable) (type filename): an ONNX model, or %NULL for the
 *   default one (cnnfilt_embedder_find_default_model())
 * @layer: (nullable): the layer whose output is the embedding, or %NULL for
 *   the model's output
 * @error: return location for a #GError
 *
 * An embedder: photos in, one vector out per photo, the model's output at
 * @layer for the photo prepared as ImageNet models expect it
 * (cnnfilt_imagenet_pipeline()), averaged over height and width.
 *
 * Returns: (transfer full): the embedder, or %NULL with @error set (no such
 *   model or layer, a model that does not import)
 */
CnnfiltEmbedder *
cnnfilt_embedder_new (const gchar *model_path, const gchar *layer, GError **error)
{
  g_autofree gchar *found = model_path ? g_strdup (model_path) : cnnfilt_embedder_find_default_model (error);
  if (found == NULL)
    return NULL;
  g_autoptr (CnnfiltEmbedder) self = g_object_new (CNNFILT_TYPE_EMBEDDER, NULL);
  self->model_path = g_canonicalize_filename (found, NULL);
  self->layer = g_strdup (layer);
  if ((self->identity = model_identity (self->model_path, layer, error)) == NULL ||
      !load_model (self, error))
    return NULL;
  return g_steal_pointer (&self);
}

/**
 * cnnfilt_embedder_new_for_index:
 * @index: an index that cnnfilt_embedder_attach() prepared
 * @error: return location for a #GError
 *
 * The embedder that made @index's embeddings, to embed queries as they
 * were: the model file and layer the index names.
 *
 * Returns: (transfer full): the embedder, or %NULL with @error set when the
 *   index names no model, or the model file is gone or has changed since
 */
CnnfiltEmbedder *
cnnfilt_embedder_new_for_index (CnnfiltIndex *index, GError **error)
{
  g_return_val_if_fail (CNNFILT_IS_INDEX (index), NULL);
  g_autofree gchar *model = cnnfilt_index_get_info (index, "model-path");
  g_autofree gchar *layer = cnnfilt_index_get_info (index, "layer");
  if (model == NULL)
    {
      g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_INVALID_ARGUMENT,
                   "%s does not say which model made it", cnnfilt_index_get_path (index));
      return NULL;
    }
  g_autoptr (CnnfiltEmbedder) self = cnnfilt_embedder_new (model, layer && *layer ? layer : NULL, error);
  if (self == NULL)
    return NULL;
  const gchar *made_by = cnnfilt_index_get_model (index);
  if (made_by != NULL && !g_str_equal (made_by, self->identity))
    {
      g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_INVALID_ARGUMENT,
                   "%s was made by %s, but %s is now %s", cnnfilt_index_get_path (index), made_by,
                   model, self->identity);
      return NULL;
    }
  return g_steal_pointer (&self);
}

/**
 * cnnfilt_embedder_get_model_path:
 * @embedder: an embedder
 *
 * Returns: (type filename): the model file, as an absolute path
 */
const gchar *
cnnfilt_embedder_get_model_path (CnnfiltEmbedder *embedder)
{
  g_return_val_if_fail (CNNFILT_IS_EMBEDDER (embedder), NULL);
  return embedder->model_path;
}

/**
 * cnnfilt_embedder_get_layer:
 * @embedder: an embedder
 *
 * Returns: (nullable): the layer the embedding is taken at, or %NULL for
 *   the model's output
 */
const gchar *
cnnfilt_embedder_get_layer (CnnfiltEmbedder *embedder)
{
  g_return_val_if_fail (CNNFILT_IS_EMBEDDER (embedder), NULL);
  return embedder->layer;
}

/**
 * cnnfilt_embedder_get_identity:
 * @embedder: an embedder
 *
 * Returns: what tells this embedding apart from others, as an index
 *   records it: the model file's name, size and the start of its SHA-256,
 *   and the layer
 */
const gchar *
cnnfilt_embedder_get_identity (CnnfiltEmbedder *embedder)
{
  g_return_val_if_fail (CNNFILT_IS_EMBEDDER (embedder), NULL);
  return embedder->identity;
}

/**
 * cnnfilt_embedder_get_dimension:
 * @embedder: an embedder
 *
 * Returns: the number of values of each embedding
 */
guint
cnnfilt_embedder_get_dimension (CnnfiltEmbedder *embedder)
{
  g_return_val_if_fail (CNNFILT_IS_EMBEDDER (embedder), 0);
  return embedder->dimension;
}

/**
 * cnnfilt_embedder_get_input_shape:
 * @embedder: an embedder
 * @shape: (out caller-allocates): the shape of one prepared photo,
 *   1 × channels × height × width
 *
 * A batch for cnnfilt_embedder_prepare_file() and cnnfilt_embedder_run()
 * is any number of these.
 */
void
cnnfilt_embedder_get_input_shape (CnnfiltEmbedder *embedder, CnnfiltShape *shape)
{
  g_return_if_fail (CNNFILT_IS_EMBEDDER (embedder));
  g_return_if_fail (shape != NULL);
  *shape = embedder->input;
}

/**
 * cnnfilt_embedder_set_device:
 * @embedder: an embedder
 * @device: where the model runs
 *
 * The preparation of photos stays on the CPU.
 */
void
cnnfilt_embedder_set_device (CnnfiltEmbedder *embedder, CnnfiltDevice *device)
{
  g_return_if_fail (CNNFILT_IS_EMBEDDER (embedder));
  g_mutex_lock (&embedder->model_lock);
  cnnfilt_graph_set_device (embedder->model, device);
  g_mutex_unlock (&embedder->model_lock);
}

/**
 * cnnfilt_embedder_attach:
 * @embedder: an embedder
 * @index: the index its embeddings go into
 * @error: return location for a #GError
 *
 * Records in @index which model and layer make its embeddings, so that
 * cnnfilt_embedder_new_for_index() can embed queries the same way. An
 * index holds one model's embeddings: this fails when @index was made
 * with another.
 *
 * Returns: %TRUE, or %FALSE with @error set
 */
gboolean
cnnfilt_embedder_attach (CnnfiltEmbedder *embedder, CnnfiltIndex *index, GError **error)
{
  g_return_val_if_fail (CNNFILT_IS_EMBEDDER (embedder), FALSE);
  g_return_val_if_fail (CNNFILT_IS_INDEX (index), FALSE);
  return cnnfilt_index_set_model (index, embedder->identity, embedder->dimension, error) &&
         cnnfilt_index_set_info (index, "model-path", embedder->model_path, error) &&
         cnnfilt_index_set_info (index, "layer", embedder->layer ? embedder->layer : "", error);
}

static Preparer *
take_preparer (CnnfiltEmbedder *self)
{
  g_mutex_lock (&self->pool_lock);
  Preparer *p = self->pool->len > 0 ? g_ptr_array_steal_index_fast (self->pool, self->pool->len - 1)
                                    : NULL;
  g_mutex_unlock (&self->pool_lock);
  if (p != NULL)
    return p;
  p = g_new0 (Preparer, 1);
  g_autoptr (GError) error = NULL;
  p->graph = cnnfilt_graph_new_from_string (self->prepare_text, &error);
  g_assert_no_error (error); /* the library's own pipeline */
  p->image = g_object_new (CNNFILT_TYPE_TENSOR, NULL);
  return p;
}

static void
give_back (CnnfiltEmbedder *self, Preparer *p)
{
  g_mutex_lock (&self->pool_lock);
  g_ptr_array_add (self->pool, p);
  g_mutex_unlock (&self->pool_lock);
}

/* Checks that @batch holds prepared photos and has a place @slot. */
static gboolean
check_batch (CnnfiltEmbedder *self, CnnfiltTensor *batch, guint slot, GError **error)
{
  CnnfiltShape shape;
  cnnfilt_tensor_get_shape (batch, &shape);
  if (shape.c == self->input.c && shape.h == self->input.h && shape.w == self->input.w &&
      slot < shape.n && cnnfilt_tensor_get_layout (batch) == CNNFILT_LAYOUT_NCHW)
    return TRUE;
  g_autofree gchar *got = cnnfilt_shape_to_string (&shape);
  g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_SHAPE,
               "a batch of %s (NCHW) has no place %u for photos of %u×%u×%u", got, slot,
               self->input.c, self->input.h, self->input.w);
  return FALSE;
}

/* Runs @p's preparation on its image and copies the result to @slot. */
static gboolean
prepare_into (CnnfiltEmbedder *self, Preparer *p, CnnfiltTensor *image, CnnfiltTensor *batch,
              guint slot, GError **error)
{
  if (!cnnfilt_graph_run (p->graph, &image, 1, error))
    return FALSE;
  g_autoptr (CnnfiltTensor) out = cnnfilt_graph_get_output (p->graph, 0);
  gsize n = 0;
  const gfloat *values = cnnfilt_tensor_get_data (out, &n);
  if (n != (gsize) self->input.c * self->input.h * self->input.w)
    {
      g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_SHAPE,
                   "the preparation gives %" G_GSIZE_FORMAT " values, not one %u×%u×%u photo", n,
                   self->input.c, self->input.h, self->input.w);
      return FALSE;
    }
  memcpy (cnnfilt_tensor_get_plane (batch, slot, 0), values, n * sizeof (gfloat));
  return TRUE;
}

/**
 * cnnfilt_embedder_prepare_file:
 * @embedder: an embedder
 * @path: (type filename): a photo
 * @batch: a tensor of n prepared photos (cnnfilt_embedder_get_input_shape())
 * @slot: which of them to fill, from 0
 * @error: return location for a #GError
 *
 * Decodes the photo at @path, reduced on loading towards the size the
 * model needs where its format can (a 24-megapixel JPEG costs little more
 * than a small one), and prepares it into @slot of @batch. Safe to call
 * from several threads at once, on different batches or slots.
 *
 * Returns: %TRUE, or %FALSE with @error set (a file that is not an image
 *   or is corrupt, too large for #CnnfiltEmbedder:max-pixels)
 */
gboolean
cnnfilt_embedder_prepare_file (CnnfiltEmbedder *embedder, const gchar *path, CnnfiltTensor *batch,
                               guint slot, GError **error)
{
  g_return_val_if_fail (CNNFILT_IS_EMBEDDER (embedder), FALSE);
  g_return_val_if_fail (path != NULL, FALSE);
  g_return_val_if_fail (CNNFILT_IS_TENSOR (batch), FALSE);
  if (!check_batch (embedder, batch, slot, error))
    return FALSE;
  Preparer *p = take_preparer (embedder);
  gboolean ok = cnnfilt_image_load_full (path, p->image, embedder->load_flags, embedder->max_pixels,
                                         embedder->shrink_to, error) &&
                prepare_into (embedder, p, p->image, batch, slot, error);
  give_back (embedder, p);
  return ok;
}

/**
 * cnnfilt_embedder_prepare_image:
 * @embedder: an embedder
 * @image: a decoded photo, 1 × channels × height × width with values in
 *   [0, 1] (cnnfilt_image_load())
 * @batch: a tensor of n prepared photos (cnnfilt_embedder_get_input_shape())
 * @slot: which of them to fill, from 0
 * @error: return location for a #GError
 *
 * cnnfilt_embedder_prepare_file() for a photo already in memory.
 *
 * Returns: %TRUE, or %FALSE with @error set (an image of more than one
 *   photo, or of channels the preparation cannot take)
 */
gboolean
cnnfilt_embedder_prepare_image (CnnfiltEmbedder *embedder, CnnfiltTensor *image,
                                CnnfiltTensor *batch, guint slot, GError **error)
{
  g_return_val_if_fail (CNNFILT_IS_EMBEDDER (embedder), FALSE);
  g_return_val_if_fail (CNNFILT_IS_TENSOR (image), FALSE);
  g_return_val_if_fail (CNNFILT_IS_TENSOR (batch), FALSE);
  if (!check_batch (embedder, batch, slot, error))
    return FALSE;
  if (cnnfilt_tensor_get_n (image) != 1)
    {
      g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_SHAPE, "an image of %u photos: give one",
                   cnnfilt_tensor_get_n (image));
      return FALSE;
    }
  Preparer *p = take_preparer (embedder);
  gboolean ok = prepare_into (embedder, p, image, batch, slot, error);
  give_back (embedder, p);
  return ok;
}

/**
 * cnnfilt_embedder_run:
 * @embedder: an embedder
 * @batch: n prepared photos (cnnfilt_embedder_prepare_file())
 * @n_values: (out): the number of values returned, n × the dimension
 * @error: return location for a #GError
 *
 * Runs the model on a batch: the embedding of each photo, photo after
 * photo. One batch runs at a time, with every thread of the device; other
 * threads can prepare photos meanwhile. The model is prepared again when
 * the batch size changes, which costs about as much as a few photos: keep
 * it the same from call to call.
 *
 * Returns: (transfer full) (array length=n_values): the embeddings, not
 *   normalised, or %NULL with @error set
 */
gfloat *
cnnfilt_embedder_run (CnnfiltEmbedder *embedder, CnnfiltTensor *batch, gsize *n_values,
                      GError **error)
{
  g_return_val_if_fail (CNNFILT_IS_EMBEDDER (embedder), NULL);
  g_return_val_if_fail (CNNFILT_IS_TENSOR (batch), NULL);
  g_return_val_if_fail (n_values != NULL, NULL);
  *n_values = 0;
  if (!check_batch (embedder, batch, 0, error))
    return NULL;
  g_mutex_lock (&embedder->model_lock);
  gfloat *values = NULL;
  if (cnnfilt_graph_run (embedder->model, &batch, 1, error))
    {
      g_autoptr (CnnfiltTensor) out = cnnfilt_graph_get_output (embedder->model, 0);
      values = cnnfilt_tensor_get_values (out, n_values);
    }
  g_mutex_unlock (&embedder->model_lock);
  return values;
}

/* One photo's embedding, prepared by @prepare. */
static gfloat *
embed_one (CnnfiltEmbedder *self, gboolean (*prepare) (CnnfiltEmbedder *, gconstpointer,
                                                        CnnfiltTensor *, GError **),
           gconstpointer what, gsize *n_values, GError **error)
{
  *n_values = 0;
  g_autoptr (CnnfiltTensor) batch = cnnfilt_tensor_new (1, self->input.c, self->input.h,
                                                        self->input.w, error);
  if (batch == NULL || !prepare (self, what, batch, error))
    return NULL;
  return cnnfilt_embedder_run (self, batch, n_values, error);
}

static gboolean
prepare_path (CnnfiltEmbedder *self, gconstpointer path, CnnfiltTensor *batch, GError **error)
{
  return cnnfilt_embedder_prepare_file (self, path, batch, 0, error);
}

static gboolean
prepare_tensor (CnnfiltEmbedder *self, gconstpointer image, CnnfiltTensor *batch, GError **error)
{
  return cnnfilt_embedder_prepare_image (self, (CnnfiltTensor *) image, batch, 0, error);
}

/**
 * cnnfilt_embedder_embed_file:
 * @embedder: an embedder
 * @path: (type filename): a photo
 * @n_values: (out): the number of values returned: the dimension
 * @error: return location for a #GError
 *
 * The embedding of one photo. For many, cnnfilt_embedder_prepare_file()
 * into batches and cnnfilt_embedder_run() are faster.
 *
 * Returns: (transfer full) (array length=n_values): the embedding, not
 *   normalised, or %NULL with @error set
 */
gfloat *
cnnfilt_embedder_embed_file (CnnfiltEmbedder *embedder, const gchar *path, gsize *n_values,
                             GError **error)
{
  g_return_val_if_fail (CNNFILT_IS_EMBEDDER (embedder), NULL);
  g_return_val_if_fail (path != NULL && n_values != NULL, NULL);
  return embed_one (embedder, prepare_path, path, n_values, error);
}

/**
 * cnnfilt_embedder_embed_image:
 * @embedder: an embedder
 * @image: a decoded photo, 1 × channels × height × width with values in
 *   [0, 1]
 * @n_values: (out): the number of values returned: the dimension
 * @error: return location for a #GError
 *
 * The embedding of one photo already in memory.
 *
 * Returns: (transfer full) (array length=n_values): the embedding, not
 *   normalised, or %NULL with @error set
 */
gfloat *
cnnfilt_embedder_embed_image (CnnfiltEmbedder *embedder, CnnfiltTensor *image, gsize *n_values,
                              GError **error)
{
  g_return_val_if_fail (CNNFILT_IS_EMBEDDER (embedder), NULL);
  g_return_val_if_fail (CNNFILT_IS_TENSOR (image) && n_values != NULL, NULL);
  return embed_one (embedder, prepare_tensor, image, n_values, error);
}
