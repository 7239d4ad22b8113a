import { describeAggregation } from './suite.js';

describeAggregation('crd');
