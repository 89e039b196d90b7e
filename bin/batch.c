/* batch.c: work over folders of images, spread over worker threads
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * batch_process() collects the image files of the inputs, hands them in
 * groups to a command's handler on one worker per core, shows progress and
 * prints what the jobs print in input order. batch_run() is the handler of
 * `run` and `edges`: each worker owns a graph and an input tensor, so
 * buffers are allocated once per worker and reused for every same-sized
 * image; decoding, filtering and encoding of different images overlap
 * across the cores. Outputs go to a temporary name and are renamed into
 * place by the library; an input is never overwritten.
 */
#include "cnnfilt-cli.h"
#include "plan.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <time.h>
#include <string.h>
#include <unistd.h>

static void
job_clear (gpointer data)
{
  BatchJob *job = data;
  g_free (job->input);
  g_free (job->output);
  g_free (job->text);
}

struct _Batch {
  const BatchHandler *handler;
  BatchOptions *options;
  GArray *jobs;          /* BatchJob */
  gint next;             /* atomic: index of the next job */
  GMutex lock;           /* guards what follows, stdout and stderr */
  guint done, failed, skipped;
  guint collect_failed;  /* of those failed, the inputs that were never jobs */
  guint64 elsewhere;     /* images left to the other shards */
  guint next_print;      /* the first job whose text is not printed yet */
  guint group;           /* jobs per process call */
  gint64 started;
  gint64 last_draw;
  gboolean draw;         /* a progress bar is shown */
  gboolean bar_visible;
  gint stop;             /* atomic: the signal that asked to stop, or 0 */
  gint finished;         /* atomic: the workers are done; the signal thread ends */
};

void
batch_options_init (BatchOptions *options, gboolean writes, gint default_compression)
{
  memset (options, 0, sizeof *options);
  options->writes = writes;
  options->compression = default_compression;
  options->quality = 90;
  options->max_pixels = CLI_DEFAULT_MAX_PIXELS;
  options->shards = 1;
}

void
batch_options_clear (BatchOptions *options)
{
  g_free (options->output_dir);
  g_free (options->format);
  g_free (options->device);
  g_free (options->files_from);
  g_free (options->shard_text);
}

GOptionEntry *
batch_option_entries (BatchOptions *o)
{
  GOptionEntry entries[] = {
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &o->output_dir,
      "Folder for the results (created if missing); relative paths under input folders are kept", "DIR" },
    { "format", 'f', 0, G_OPTION_ARG_STRING, &o->format,
      "Output format by suffix: png, jpg, tif, webp, v, pfm, csv, mat, npy … (float formats keep float32 values)", "EXT" },
    { "jobs", 'j', 0, G_OPTION_ARG_INT, &o->jobs,
      "Images processed at once (default or 0: one per core; lowered when memory is short)", "N" },
    { "keep-suffix", 0, 0, G_OPTION_ARG_NONE, &o->keep_suffix,
      "Name results photo.jpg.png when the format changes, so photo.jpg and photo.png do not collide",
      NULL },
    { "skip-existing", 0, 0, G_OPTION_ARG_NONE, &o->skip_existing,
      "Leave inputs whose output exists alone, to resume an interrupted batch", NULL },
    { "quiet", 'q', 0, G_OPTION_ARG_NONE, &o->quiet,
      "Print errors only: no progress, no summary, no warnings", NULL },
    { "verbose", 'v', 0, G_OPTION_ARG_NONE, &o->verbose, "Show libvips' warnings about each file", NULL },
    { "trace", 0, 0, G_OPTION_ARG_NONE, &o->trace,
      "Say where each op runs (device, threads) and why, once per image size (as CNNFILT_TRACE=1)", NULL },
    { "no-follow", 0, 0, G_OPTION_ARG_NONE, &o->no_follow,
      "Do not follow symbolic links inside folders (inputs named on the command line still are)", NULL },
    { "max-pixels", 0, 0, G_OPTION_ARG_INT64, &o->max_pixels,
      "Refuse images larger than N pixels before decoding them (default 100000000; 0: no limit)", "N" },
    { "no-autorotate", 0, 0, G_OPTION_ARG_NONE, &o->no_autorotate,
      "Keep the stored pixels: do not turn photos upright by their EXIF orientation", NULL },
    { "files-from", 'T', 0, G_OPTION_ARG_FILENAME, &o->files_from,
      "Also take the images and folders listed in FILE, one path a line ('-': standard input); "
      "under -o a listed path keeps its folders, as with rsync --files-from", "FILE" },
    { "null", '0', 0, G_OPTION_ARG_NONE, &o->null,
      "The paths in --files-from end in NUL bytes, as find -print0 writes them", NULL },
    { "shard", 0, 0, G_OPTION_ARG_STRING, &o->shard_text,
      "Take only shard K of N (0 <= K < N) of the images, by a hash of each path as spelled, so "
      "that N machines share the inputs", "K/N" },
    { "progress", 0, 0, G_OPTION_ARG_NONE, &o->progress,
      "Show the progress bar even when stderr is not a terminal", NULL },
    { "device", 'd', 0, G_OPTION_ARG_STRING, &o->device,
      "Device to run on (see 'cnnfilt devices'; default: $CNNFILT_DEVICE or cpu)", "SPEC" },
    { "compression", 0, 0, G_OPTION_ARG_INT, &o->compression,
      "PNG zlib level, 0 (fastest) to 9 (smallest)", "0-9" },
    { "quality", 0, 0, G_OPTION_ARG_INT, &o->quality, "JPEG and WebP quality, 1 to 100", "1-100" },
    { NULL },
  };
  if (!o->writes)
    {
      /* only the options that do not concern output files */
      const gchar *const kept[] = { "jobs", "quiet", "verbose", "trace", "progress", "device", "no-follow",
                                    "max-pixels", "no-autorotate", "files-from", "null", "shard",
                                    NULL };
      guint n = 0;
      for (guint i = 0; entries[i].long_name != NULL; i++)
        if (g_strv_contains (kept, entries[i].long_name))
          entries[n++] = entries[i];
      entries[n] = (GOptionEntry) { NULL };
    }
  return g_memdup2 (entries, sizeof entries);
}

static gchar *
format_duration (gdouble seconds)
{
  guint s = (guint) (seconds + 0.5);
  if (s >= 3600)
    return g_strdup_printf ("%u:%02u:%02u", s / 3600, s / 60 % 60, s % 60);
  return g_strdup_printf ("%u:%02u", s / 60, s % 60);
}

/* Called with the lock held. */
static void
draw_progress (Batch *batch, gboolean force)
{
  if (!batch->draw)
    return;
  gint64 now = g_get_monotonic_time ();
  if (!force && now - batch->last_draw < 100000)
    return;
  batch->last_draw = now;
  guint total = batch->jobs->len;
  guint finished = batch->done + batch->failed + batch->skipped;
  gdouble elapsed = (now - batch->started) / 1e6;
  gdouble rate = elapsed > 0 ? (batch->done + batch->failed) / elapsed : 0;
  const guint width = 30;
  guint filled = total ? finished * width / total : width;
  gchar bar[64];
  for (guint i = 0; i < width; i++)
    bar[i] = i < filled ? '#' : '.';
  bar[width] = '\0';
  g_autofree gchar *eta = rate > 0 ? format_duration ((total - finished) / rate) : g_strdup ("-:--");
  fprintf (stderr, "\r\033[K[%s] %u/%u  %.1f images/s  ETA %s", bar, finished, total, rate, eta);
  fflush (stderr);
  batch->bar_visible = TRUE;
}

static void
clear_progress (Batch *batch)
{
  if (batch->bar_visible)
    {
      fputs ("\r\033[K", stderr);
      batch->bar_visible = FALSE;
    }
}

/* Called with the lock held: prints the texts of the finished jobs at the
 * head of the queue, so that output follows the input order. */
static void
print_finished (Batch *batch)
{
  gboolean printed = FALSE;
  while (batch->next_print < batch->jobs->len)
    {
      BatchJob *job = &g_array_index (batch->jobs, BatchJob, batch->next_print);
      if (!job->finished)
        break;
      if (job->text != NULL)
        {
          if (!printed)
            clear_progress (batch);
          fputs (job->text, stdout);
          printed = TRUE;
        }
      batch->next_print++;
    }
  if (printed)
    fflush (stdout);
}

static void
finish (Batch *batch, BatchJob *job, guint *counter, const gchar *message)
{
  g_mutex_lock (&batch->lock);
  if (message != NULL)
    {
      clear_progress (batch);
      /* Library messages already start with the path; do not repeat it. */
      if (g_str_has_prefix (message, job->input) && message[strlen (job->input)] == ':')
        fprintf (stderr, "%s\n", message);
      else
        fprintf (stderr, "%s: %s\n", job->input, message);
    }
  (*counter)++;
  job->finished = TRUE;
  print_finished (batch);
  draw_progress (batch, message != NULL);
  g_mutex_unlock (&batch->lock);
}

/**
 * batch_job_done:
 * Marks @job done; its text, if any, is printed once the jobs before it are.
 */
void
batch_job_done (Batch *batch, BatchJob *job)
{
  finish (batch, job, &batch->done, NULL);
}

/**
 * batch_job_failed:
 * Reports "INPUT: message" on stderr and counts @job as failed.
 */
void
batch_job_failed (Batch *batch, BatchJob *job, const gchar *message)
{
  finish (batch, job, &batch->failed, message);
}

/**
 * batch_job_skipped:
 * Counts @job as skipped: nothing to do for it (the progress rate leaves it out).
 */
void
batch_job_skipped (Batch *batch, BatchJob *job)
{
  finish (batch, job, &batch->skipped, NULL);
}

static gpointer
worker (gpointer data)
{
  Batch *batch = data;
  const BatchHandler *handler = batch->handler;
  gpointer state = handler->worker_new (handler->data);
  guint group = batch->group;
  g_autofree BatchJob **jobs = g_new (BatchJob *, group);

  for (;;)
    {
      if (g_atomic_int_get (&batch->stop))
        break;
      guint first = (guint) g_atomic_int_add (&batch->next, (gint) group);
      if (first >= batch->jobs->len)
        break;
      guint n = 0;
      for (guint i = first; i < MIN (first + group, batch->jobs->len); i++)
        {
          BatchJob *job = &g_array_index (batch->jobs, BatchJob, i);
          if (batch->options->skip_existing && job->output != NULL &&
              g_file_test (job->output, G_FILE_TEST_EXISTS))
            finish (batch, job, &batch->skipped, NULL);
          else
            {
              g_atomic_int_set (&job->started, TRUE);
              jobs[n++] = job;
            }
        }
      if (n > 0)
        handler->process (batch, handler->data, state, jobs, n);
    }
  handler->worker_free (state);
  return NULL;
}

static void
print_summary (Batch *batch)
{
  BatchOptions *options = batch->options;
  if (options->quiet)
    return;
  gdouble elapsed = (g_get_monotonic_time () - batch->started) / 1e6;
  gdouble rate = elapsed > 0 ? batch->done / elapsed : 0;
  guint left = batch->jobs->len - (batch->done + batch->failed + batch->skipped - batch->collect_failed);
  g_autofree gchar *stopped = batch->stop ? g_strdup_printf (", %u not started (interrupted)", left)
                                          : g_strdup ("");
  fprintf (stderr, "cnnfilt: %u %s, %u failed, %u skipped%s in %.2f s (%.1f images/s)%s%s\n",
           batch->done, batch->handler->verb, batch->failed, batch->skipped, stopped, elapsed, rate,
           options->writes ? " to " : "", options->writes ? options->output_dir : "");
  if (batch->elsewhere > 0)
    fprintf (stderr, "cnnfilt: %" G_GUINT64_FORMAT " left to the other shards\n", batch->elsewhere);
}

/* Waits for SIGINT and SIGTERM, which the other threads block. The first
 * lets the images in progress finish (each is written whole, under a
 * temporary name, so nothing partial stays) and starts no more; a second
 * removes the temporaries being written and exits at once. */
static gpointer
signal_thread (gpointer data)
{
  Batch *batch = data;
  sigset_t set;
  sigemptyset (&set);
  sigaddset (&set, SIGINT);
  sigaddset (&set, SIGTERM);
  const struct timespec tick = { 0, 100 * 1000 * 1000 };
  while (!g_atomic_int_get (&batch->finished))
    {
      int signo = sigtimedwait (&set, NULL, &tick);
      if (signo <= 0)
        continue;
      g_mutex_lock (&batch->lock);
      clear_progress (batch);
      if (!g_atomic_int_get (&batch->stop))
        {
          g_atomic_int_set (&batch->stop, signo);
          if (!batch->options->quiet)
            fprintf (stderr, "cnnfilt: %s; finishing the images in progress (again to stop at once)\n",
                     signo == SIGINT ? "interrupted" : "terminated");
          g_mutex_unlock (&batch->lock);
          continue;
        }
      g_autoptr (GPtrArray) writing = g_ptr_array_new ();
      for (guint i = 0; i < batch->jobs->len; i++)
        {
          BatchJob *job = &g_array_index (batch->jobs, BatchJob, i);
          if (job->output != NULL && g_atomic_int_get (&job->started) && !job->finished)
            g_ptr_array_add (writing, job->output);
        }
      plan_remove_temporaries ((const gchar *const *) writing->pdata, writing->len, G_MAXINT64);
      print_summary (batch);
      fflush (stdout);
      _exit (128 + signo);
    }
  return NULL;
}

/* --verbose: the library's info messages (libvips' warnings about a file)
 * on stderr, above the progress bar. */
static void
print_info (const gchar *message, gpointer data)
{
  Batch *batch = data;
  g_mutex_lock (&batch->lock);
  clear_progress (batch);
  fprintf (stderr, "cnnfilt: %s\n", message);
  draw_progress (batch, TRUE);
  g_mutex_unlock (&batch->lock);
}

/* Prints the plan's notes, failures and conflicts. Returns FALSE when a
 * conflict forbids the whole job. */
static gboolean
report_plan (Plan *plan, BatchOptions *options)
{
  if (!options->quiet)
    for (guint i = 0; i < plan->notes->len; i++)
      fprintf (stderr, "cnnfilt: warning: %s\n", (const gchar *) plan->notes->pdata[i]);
  for (guint i = 0; i < plan->failures->len; i++)
    fprintf (stderr, "%s\n", (const gchar *) plan->failures->pdata[i]);
  for (guint i = 0; i < plan->conflicts->len; i++)
    fprintf (stderr, "%s\n", (const gchar *) plan->conflicts->pdata[i]);
  if (plan->conflicts->len == 0)
    return TRUE;
  cli_error ("%u output%s would overwrite an input or another output; nothing was written",
             plan->conflicts->len, plan->conflicts->len == 1 ? "" : "s");
  return FALSE;
}

gboolean
batch_load_image (BatchOptions *options, const gchar *path, CnnfiltTensor *tensor, guint shrink_to,
                  GError **error)
{
  CnnfiltLoadFlags flags = options->no_autorotate ? CNNFILT_LOAD_NO_AUTOROTATE : CNNFILT_LOAD_DEFAULT;
  if (cnnfilt_image_load_full (path, tensor, flags, (guint64) options->max_pixels, shrink_to, error))
    return TRUE;
  batch_name_option (*error);
  return FALSE;
}

/**
 * batch_name_option:
 * Where the library's @error names the pixel limit, says which option lifts it.
 */
void
batch_name_option (GError *error)
{
  const gchar *limit = strstr (error->message, " (max-pixels)");
  if (limit != NULL)
    {
      gchar *message = g_strdup_printf ("%.*s (--max-pixels; 0 for no limit)",
                                        (int) (limit - error->message), error->message);
      g_free (error->message);
      error->message = message;
    }
}

/* Bytes of memory the system can still give: MemAvailable, or the cgroup's
 * limit less its usage when that is lower. 0 when unknown. */
static guint64
memory_available (void)
{
  guint64 available = 0;
  g_autofree gchar *meminfo = NULL;
  if (g_file_get_contents ("/proc/meminfo", &meminfo, NULL, NULL))
    {
      const gchar *line = strstr (meminfo, "MemAvailable:");
      if (line != NULL)
        available = g_ascii_strtoull (line + strlen ("MemAvailable:"), NULL, 10) * 1024;
    }
  g_autofree gchar *max = NULL, *current = NULL;
  if (g_file_get_contents ("/sys/fs/cgroup/memory.max", &max, NULL, NULL) &&
      g_ascii_isdigit (max[0]) &&
      g_file_get_contents ("/sys/fs/cgroup/memory.current", &current, NULL, NULL))
    {
      guint64 limit = g_ascii_strtoull (max, NULL, 10), used = g_ascii_strtoull (current, NULL, 10);
      guint64 left = limit > used ? limit - used : 0;
      if (available == 0 || left < available)
        available = left;
    }
  return available;
}

/* Lowers @n_workers so that the workers' images fit in half the memory
 * free: each needs about its decoded image (libvips' pixels and the float32
 * tensor) and what the handler says. The image size is the largest of up
 * to 16 headers read across the jobs. Beyond four workers per core, threads
 * only wait for each other and hold memory, so that is a limit too. */
static guint
cap_workers (const BatchHandler *handler, BatchOptions *options, GArray *jobs, guint n_workers)
{
  guint wanted = n_workers;
  gchar reason[160] = "";
  guint most = 4 * cnnfilt_get_n_cpus ();
  if (n_workers > most)
    {
      n_workers = most;
      g_snprintf (reason, sizeof reason, "more than 4 per core (%u cores) only wait for each other",
                  cnnfilt_get_n_cpus ());
    }
  guint64 largest = 0;
  guint step = MAX (1, jobs->len / 16);
  for (guint i = 0; n_workers > 1 && i < jobs->len; i += step)
    {
      guint w, h, c;
      if (!cnnfilt_image_read_header (g_array_index (jobs, BatchJob, i).input, &w, &h, &c, NULL) ||
          (options->max_pixels > 0 && (guint64) w * h > (guint64) options->max_pixels))
        continue; /* refused anyway */
      guint64 bytes = (guint64) w * h * c * (sizeof (gfloat) + 2);
      if (handler->worker_memory != NULL)
        bytes += handler->worker_memory (handler->data, w, h, c);
      largest = MAX (largest, bytes);
    }
  guint64 available = memory_available ();
  if (largest > 0 && available > 0 && available / 2 / largest < n_workers)
    {
      n_workers = (guint) MAX (1, available / 2 / largest);
      g_snprintf (reason, sizeof reason,
                  "an image needs about %" G_GUINT64_FORMAT " MB and %" G_GUINT64_FORMAT
                  " MB of memory is free", largest >> 20, available >> 20);
    }
  if (n_workers < wanted && !options->quiet)
    fprintf (stderr, "cnnfilt: --jobs lowered from %u to %u: %s\n", wanted, n_workers, reason);
  return n_workers;
}

int
batch_process (const BatchHandler *handler, BatchOptions *options, gchar **inputs)
{
  if (options->writes && options->output_dir == NULL)
    {
      cli_error ("give an output folder with -o DIR");
      return EXIT_USAGE;
    }
  if ((inputs == NULL || inputs[0] == NULL) && options->files_from == NULL)
    {
      cli_error ("give at least one input image or folder (or --files-from LIST)");
      return EXIT_USAGE;
    }
  if (!batch_check_options (options))
    return EXIT_USAGE;

  PlanOptions plan_options = { options->writes ? options->output_dir : NULL, options->format,
                                options->no_follow, options->keep_suffix, options->shard,
                                options->shards };
  if (options->files_from != NULL)
    {
      gboolean in = g_str_equal (options->files_from, "-");
      plan_options.list = in ? stdin : g_fopen (options->files_from, "re");
      plan_options.list_name = in ? "standard input" : options->files_from;
      plan_options.list_end = options->null ? '\0' : '\n';
      if (plan_options.list == NULL)
        {
          cli_error ("--files-from %s: %s", options->files_from, g_strerror (errno));
          return EXIT_USAGE;
        }
    }
  g_autoptr (Plan) plan = plan_new (&plan_options, inputs);
  if (plan_options.list != NULL && plan_options.list != stdin)
    fclose (plan_options.list);
  if (!report_plan (plan, options))
    return EXIT_USAGE;
  guint collect_failed = plan->failures->len;
  g_autoptr (GArray) jobs = g_array_sized_new (FALSE, FALSE, sizeof (BatchJob), plan->entries->len);
  g_array_set_clear_func (jobs, job_clear);
  for (guint i = 0; i < plan->entries->len; i++)
    {
      PlanEntry *entry = &g_array_index (plan->entries, PlanEntry, i);
      BatchJob job = { g_steal_pointer (&entry->input), g_steal_pointer (&entry->output) };
      g_array_append_val (jobs, job);
    }

  Batch batch = { 0 };
  batch.handler = handler;
  batch.options = options;
  batch.jobs = jobs;
  batch.failed = batch.collect_failed = collect_failed;
  batch.elsewhere = plan->elsewhere;
  batch.started = g_get_monotonic_time ();
  batch.draw = !options->quiet && (options->progress || isatty (STDERR_FILENO));
  g_mutex_init (&batch.lock);
  if (options->verbose && !options->quiet)
    cli_log_set_info_func (print_info, &batch);

  guint n_workers = options->jobs > 0 ? (guint) options->jobs : cnnfilt_get_n_cpus ();
  n_workers = cap_workers (handler, options, jobs, n_workers);
  guint group = MAX (handler->group, 1);
  if (handler->start != NULL && jobs->len > 0)
    {
      group = handler->start (handler->data, jobs->len, MIN (n_workers, jobs->len));
      if (group == 0)
        {
          cli_log_set_info_func (NULL, NULL);
          g_mutex_clear (&batch.lock);
          return EXIT_USAGE;
        }
    }
  batch.group = group;
  n_workers = MAX (1, MIN (n_workers, (jobs->len + group - 1) / group));
  /* threads across images or inside the ops, never both, unless the
   * handler runs its ops one worker at a time */
  if (handler->device != NULL)
    cnnfilt_device_set_n_threads (handler->device, n_workers > 1 && !handler->ops_threaded ? 1 : 0);
  if (options->writes && jobs->len > 0)
    {
      g_autoptr (GPtrArray) outputs = g_ptr_array_new ();
      for (guint i = 0; i < jobs->len; i++)
        g_ptr_array_add (outputs, g_array_index (jobs, BatchJob, i).output);
      guint stale = plan_remove_temporaries ((const gchar *const *) outputs->pdata, outputs->len,
                                             g_get_real_time () / G_USEC_PER_SEC);
      if (stale > 0 && !options->quiet)
        fprintf (stderr, "cnnfilt: removed %u temporary file%s left by an interrupted run\n", stale,
                 stale == 1 ? "" : "s");
    }
  if (jobs->len > 0)
    {
      /* SIGINT and SIGTERM go to the signal thread only; a file size limit
       * (ulimit -f) makes the write fail with EFBIG, reported per file,
       * instead of killing the process with a partial file. */
      sigset_t set, saved;
      sigemptyset (&set);
      sigaddset (&set, SIGINT);
      sigaddset (&set, SIGTERM);
      pthread_sigmask (SIG_BLOCK, &set, &saved);
      signal (SIGXFSZ, SIG_IGN);
      GThread *signals = g_thread_new ("cnnfilt-signals", signal_thread, &batch);
      g_autoptr (GPtrArray) threads = g_ptr_array_new ();
      for (guint i = 1; i < n_workers; i++)
        g_ptr_array_add (threads, g_thread_new ("cnnfilt-worker", worker, &batch));
      worker (&batch);
      for (guint i = 0; i < threads->len; i++)
        g_thread_join (threads->pdata[i]);
      g_atomic_int_set (&batch.finished, TRUE);
      g_thread_join (signals);
      pthread_sigmask (SIG_SETMASK, &saved, NULL);
    }

  g_mutex_lock (&batch.lock);
  draw_progress (&batch, TRUE);
  clear_progress (&batch);
  g_mutex_unlock (&batch.lock);
  cli_log_set_info_func (NULL, NULL);
  g_mutex_clear (&batch.lock);

  print_summary (&batch);
  if (batch.stop)
    return 128 + batch.stop;
  if (jobs->len == 0 && batch.failed == 0 && batch.elsewhere == 0)
    {
      cli_error ("no images found in the inputs");
      return EXIT_INPUT_FAILED;
    }
  return batch.failed > 0 ? EXIT_INPUT_FAILED : EXIT_OK;
}

/* The pipeline handler of run and edges */

typedef struct {
  const gchar *pipeline;
  BatchOptions *options;
  CnnfiltDevice *device;
  CnnfiltGraph *graph;   /* parsed once, to size the workers' buffers */
} Pipeline;

/* The input tensor and the graph's buffers for one image, and the 8-bit
 * encoding of the result. */
static gsize
pipeline_worker_memory (gpointer data, guint width, guint height, guint channels)
{
  Pipeline *pipeline = data;
  CnnfiltShape shape = { 1, channels, height, width };
  gsize bytes = (gsize) width * height * channels * (sizeof (gfloat) + 1);
  if (cnnfilt_graph_prepare (pipeline->graph, &shape, 1, NULL))
    bytes += cnnfilt_graph_get_buffer_size (pipeline->graph);
  return bytes;
}

typedef struct {
  CnnfiltGraph *graph;
  CnnfiltTensor *input;
} PipelineWorker;

static gpointer
pipeline_worker_new (gpointer data)
{
  Pipeline *pipeline = data;
  PipelineWorker *w = g_new0 (PipelineWorker, 1);
  g_autoptr (GError) error = NULL;
  /* Each worker has its own graph: ops keep scratch buffers and are not
   * shared between threads. The text parsed once already, so this cannot fail. */
  w->graph = cnnfilt_graph_new_from_string (pipeline->pipeline, &error);
  g_assert_no_error (error);
  cnnfilt_graph_set_device (w->graph, pipeline->device);
  if (pipeline->options->trace)
    g_object_set (w->graph, "trace", TRUE, NULL);
  w->input = g_object_new (CNNFILT_TYPE_TENSOR, NULL);
  return w;
}

static void
pipeline_worker_free (gpointer data)
{
  PipelineWorker *w = data;
  g_object_unref (w->graph);
  g_object_unref (w->input);
  g_free (w);
}

static gboolean
pipeline_job (Pipeline *pipeline, PipelineWorker *w, BatchJob *job, GError **error)
{
  g_autofree gchar *dir = g_path_get_dirname (job->output);
  if (g_mkdir_with_parents (dir, 0755) != 0)
    {
      int saved = errno;
      g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_IO, "cannot create output folder %s: %s",
                   dir, g_strerror (saved));
      return FALSE;
    }
  if (!batch_load_image (pipeline->options, job->input, w->input, 0, error) ||
      !cnnfilt_graph_run (w->graph, &w->input, 1, error))
    return FALSE;
  g_autoptr (CnnfiltTensor) result = cnnfilt_graph_get_output (w->graph, 0);
  return cnnfilt_image_save_with_options (result, job->output, pipeline->options->compression,
                                          pipeline->options->quality, error);
}

static void
pipeline_process (Batch *batch, gpointer data, gpointer state, BatchJob **jobs, guint n)
{
  Pipeline *pipeline = data;
  for (guint i = 0; i < n; i++)
    {
      g_autoptr (GError) error = NULL;
      if (pipeline_job (pipeline, state, jobs[i], &error))
        batch_job_done (batch, jobs[i]);
      else
        batch_job_failed (batch, jobs[i], error->message);
    }
}

/* Checks the options that concern output files; prints and returns FALSE when wrong. */
gboolean
batch_check_options (BatchOptions *options)
{
  if (options->compression < 0 || options->compression > 9)
    {
      cli_error ("--compression %d: expected 0 (fastest) to 9 (smallest)", options->compression);
      return FALSE;
    }
  if (options->quality < 1 || options->quality > 100)
    {
      cli_error ("--quality %d: expected 1 to 100", options->quality);
      return FALSE;
    }
  if (options->jobs < 0)
    {
      cli_error ("--jobs %d: expected 1 or more (0: one per core)", options->jobs);
      return FALSE;
    }
  if (options->shard_text != NULL)
    {
      gchar *end = NULL;
      guint64 k = g_ascii_strtoull (options->shard_text, &end, 10), n = 0;
      if (end != options->shard_text && *end == '/' && g_ascii_isdigit (end[1]))
        n = g_ascii_strtoull (end + 1, &end, 10);
      if (*end != '\0' || n < 1 || n > 65536 || k >= n)
        {
          cli_error ("--shard %s: expected K/N with 0 <= K < N <= 65536", options->shard_text);
          return FALSE;
        }
      options->shard = (guint) k;
      options->shards = (guint) n;
    }
  if (options->null && options->files_from == NULL)
    {
      cli_error ("--null: give the list with --files-from");
      return FALSE;
    }
  if (options->max_pixels < 0)
    {
      cli_error ("--max-pixels %" G_GINT64_FORMAT ": expected 0 (no limit) or more",
                 options->max_pixels);
      return FALSE;
    }
  if (options->format != NULL)
    {
      if (options->format[0] == '.')
        memmove (options->format, options->format + 1, strlen (options->format));
      g_autofree gchar *probe = g_strdup_printf ("x.%s", options->format);
      if (!cnnfilt_image_format_is_known (probe))
        {
          cli_error ("--format %s: not an image format cnnfilt writes", options->format);
          return FALSE;
        }
    }
  return TRUE;
}

/* The device of --device or the default one; prints and returns NULL when unknown. */
CnnfiltDevice *
batch_device (BatchOptions *options)
{
  g_autoptr (GError) error = NULL;
  CnnfiltDevice *device = options->device ? cnnfilt_device_new_from_string (options->device, &error)
                                          : cnnfilt_device_get_default (&error);
  if (device == NULL)
    cli_error ("%s", error->message);
  return device;
}

int
batch_run (const gchar *text, BatchOptions *options, gchar **inputs)
{
  g_autoptr (GError) error = NULL;
  if (!batch_check_options (options))
    return EXIT_USAGE;
  /* Parse once here, so that a bad pipeline is one usage error, not one per file. */
  g_autoptr (CnnfiltGraph) check = cnnfilt_graph_new_from_string (text, &error);
  if (check == NULL)
    {
      cli_error ("pipeline '%s': %s", text, error->message);
      return EXIT_USAGE;
    }
  g_autoptr (CnnfiltDevice) device = batch_device (options);
  if (device == NULL)
    return EXIT_USAGE;
  Pipeline pipeline = { text, options, device, check };
  BatchHandler handler = {
    .verb = "written",
    .group = 1,
    .data = &pipeline,
    .device = device,
    .worker_memory = pipeline_worker_memory,
    .worker_new = pipeline_worker_new,
    .worker_free = pipeline_worker_free,
    .process = pipeline_process,
  };
  return batch_process (&handler, options, inputs);
}
