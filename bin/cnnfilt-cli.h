/* cnnfilt-cli.h: what the subcommands of `cnnfilt` share
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <cnnfilt.h>

G_BEGIN_DECLS

/* Exit statuses: every input done; some input failed; the command line is wrong. */
enum { EXIT_OK = 0, EXIT_INPUT_FAILED = 1, EXIT_USAGE = 2 };

/* Options of the commands that process folders of images (run, edges, classify). */
#define CLI_DEFAULT_MAX_PIXELS G_GINT64_CONSTANT (100000000)
typedef struct {
  gboolean writes;      /* the command writes one file per input under output_dir */
  gchar *output_dir;
  gchar *format;        /* output suffix, or NULL for the input's own */
  gint jobs;            /* worker threads; 0 = one per core */
  gboolean skip_existing;
  gboolean quiet;
  gboolean progress;    /* force the progress bar off a terminal */
  gchar *device;
  gint compression;     /* PNG zlib level */
  gint quality;         /* JPEG/WebP quality */
  gboolean no_follow;   /* leave symbolic links inside folders alone */
  gboolean keep_suffix; /* name results photo.jpg.png when the format changes */
  gboolean verbose;     /* show libvips' warnings about each file */
  gboolean trace;       /* say where each node of the graphs runs */
  gboolean no_autorotate; /* keep raw pixels, ignoring EXIF orientation */
  gint64 max_pixels;    /* refuse larger images before decoding; 0: no limit */
  gchar *files_from;    /* a file of more input paths ("-": stdin) */
  gboolean null;        /* its paths end in NUL bytes, not newlines */
  gchar *shard_text;    /* --shard K/N as given */
  guint shard, shards;  /* its values, set by batch_check_options(); shards 1: all */
} BatchOptions;

/* The GOptionEntry list for BatchOptions (without the output file options
 * when the command writes none); init must come first. */
GOptionEntry *batch_option_entries (BatchOptions *options);
void          batch_options_init   (BatchOptions *options, gboolean writes, gint default_compression);
void          batch_options_clear  (BatchOptions *options);
gboolean       batch_check_options (BatchOptions *options);
CnnfiltDevice *batch_device        (BatchOptions *options);

/* One input image; output is NULL for commands that write no files. */
typedef struct {
  gchar *input;
  gchar *output;
  gchar *text;          /* set by the handler: printed on stdout, in input order */
  gboolean finished;
  gint started;         /* atomic: handed to the handler */
} BatchJob;

typedef struct _Batch Batch;

/* What a command does with the images batch_process() collects. Each
 * worker thread makes its own state with worker_new, then calls process
 * with up to group jobs at a time; process ends each job with
 * batch_job_done(), batch_job_failed() or batch_job_skipped(). start, when set, is called once
 * the jobs are known, before any worker: it returns the group size, or 0
 * after printing why the command cannot go on. */
typedef struct {
  const gchar *verb;    /* for the summary: "written", "classified" */
  guint group;
  guint (*start) (gpointer data, guint n_jobs, guint n_workers);
  gboolean ops_threaded; /* ops use every core: the handler runs them one worker at a time */
  CnnfiltDevice *device; /* where the ops run: its n-threads is set for the workers */
  gpointer data;
  /* Bytes one worker holds for an image of @width × @height × @channels,
   * besides the decoded image; NULL: none. Caps --jobs to the memory free. */
  gsize (*worker_memory) (gpointer data, guint width, guint height, guint channels);
  gpointer (*worker_new) (gpointer data);
  void (*worker_free) (gpointer state);
  void (*process) (Batch *batch, gpointer data, gpointer state, BatchJob **jobs, guint n);
} BatchHandler;

/* How workers load images: the EXIF orientation and --max-pixels of @options. */
gboolean batch_load_image (BatchOptions *options, const gchar *path, CnnfiltTensor *tensor,
                           guint shrink_to, GError **error);
/* Where a load @error names the library's pixel limit, names --max-pixels instead. */
void     batch_name_option (GError *error);

void batch_job_done   (Batch *batch, BatchJob *job);
void batch_job_failed (Batch *batch, BatchJob *job, const gchar *message);
void batch_job_skipped (Batch *batch, BatchJob *job);

/* Collects the images in @inputs (files and folders) and runs @handler
 * over them with progress and a summary. Returns an exit status. */
int  batch_process (const BatchHandler *handler, BatchOptions *options, gchar **inputs);

/* Runs @pipeline over the files and folders in @inputs. Returns an exit status. */
int  batch_run (const gchar *pipeline, BatchOptions *options, gchar **inputs);

/* Where the library's info messages go (--verbose); NULL: nowhere. */
typedef void (*CliInfoFunc) (const gchar *message, gpointer data);
void cli_log_set_info_func (CliInfoFunc func, gpointer data);

/* Prints "cnnfilt: message" on stderr. */
void cli_error (const gchar *format, ...) G_GNUC_PRINTF (1, 2);

/* Appends @text to @out as a JSON string, quoted and escaped. */
void cli_json_string (GString *out, const gchar *text);

/* Parses @argv with @context; on failure prints the error and help hint. */
gboolean cli_parse (GOptionContext *context, int *argc, char ***argv, const gchar *command);

/* Loads an ONNX model, or prints "PATH: reason" on stderr and returns NULL. */
CnnfiltGraph *cli_load_model (const gchar *path);
/* One image's shape as the model's first input declares it (batch 1);
 * 1x3x224x224 where it declares none. */
void cli_model_input_shape (CnnfiltGraph *graph, CnnfiltShape *shape);

/* report.c: the self-contained HTML page of search --html and dedup --html. */
typedef struct _Report Report;
gboolean report_check_path  (const gchar *command, const gchar *path);
Report  *report_new         (const gchar *title, const gchar *subtitle);
void     report_begin_group (Report *report, const gchar *heading);
void     report_add_image   (Report *report, const gchar *path, gdouble score, gboolean query);
void     report_end_group   (Report *report);
gboolean report_finish      (Report *report, const gchar *path, gboolean quiet);

int command_run     (int argc, char **argv);
int command_embed   (int argc, char **argv);
int command_search  (int argc, char **argv);
int command_index   (int argc, char **argv);
int command_dedup   (int argc, char **argv);
int command_edges   (int argc, char **argv);
int command_ops     (int argc, char **argv);
int command_inspect (int argc, char **argv);
int command_devices (int argc, char **argv);
int command_model   (int argc, char **argv);
int command_classify (int argc, char **argv);
int command_features (int argc, char **argv);

G_END_DECLS
