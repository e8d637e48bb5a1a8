'use strict';

const serverlessExpress = require('@codegenie/serverless-express');
const { albRequest, albResponse } = require('./alb-event');
const { createApp } = require('./app');

/**
 * The Lambda handler (`lambda.handler`) that the runtime interface client calls with ALB events.
 * The app is built once per execution environment and reused across invocations.
 */
exports.handler = serverlessExpress({
  app: createApp(),
  eventSourceName: 'AWS_ALB',
  eventSource: { getRequest: albRequest, getResponse: albResponse },
});
