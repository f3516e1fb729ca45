// The function app: every trigger, one file each. The Functions host (and the local runner) load this module.
import './startup.js';
import './onResourceEvent.js';
import './onActivityLogAlert.js';
import './reconcile.js';
import './sendOwnerNotices.js';
import './sendFinopsSummary.js';
import './sendReviewDigest.js';
import './deleteExpiredClones.js';
import './runRestoreDrills.js';
import './health.js';
import './dashboard.js';
