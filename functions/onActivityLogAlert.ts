import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';

/**
 * Activity Log alerts (common alert schema) from an action group: validated, then queued for onResourceEvent so both
 * sources share one pipeline. Answers fast; a malformed alert is a 400 naming the problem.
 */
export async function onActivityLogAlert(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  const [{ acceptActivityLogAlert }, { alertQueueSender }] = await Promise.all([
    import('../src/jobs/alerts.js'),
    import('../src/wiring.js'),
  ]);
  const result = await acceptActivityLogAlert(await request.text(), alertQueueSender());
  if (!result.ok) {
    context.warn(`rejected alert: ${result.error}`);
    return { status: 400, jsonBody: { error: result.error } };
  }
  context.log(`queued ${result.events} event(s), ignored ${result.ignored}`);
  return { status: 202, jsonBody: { queued: result.events, ignored: result.ignored } };
}

app.http('onActivityLogAlert', {
  methods: ['POST'],
  authLevel: 'function',
  route: 'activity-log-alert',
  handler: onActivityLogAlert,
});
