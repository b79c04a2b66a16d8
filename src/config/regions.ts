/**
 * Commercial AWS regions and how many Availability Zones a new account can use in each
 * (source: AWS Regions and Availability Zones documentation, 2026). Used to check `network.azCount`
 * before any AWS call; the network step still asks EC2 which zones exist and are available.
 */
export const REGION_AZ_COUNT: Readonly<Record<string, number>> = {
  'us-east-1': 6,
  'us-east-2': 3,
  'us-west-1': 2,
  'us-west-2': 4,
  'af-south-1': 3,
  'ap-east-1': 3,
  'ap-east-2': 3,
  'ap-south-1': 3,
  'ap-south-2': 3,
  'ap-southeast-1': 3,
  'ap-southeast-2': 3,
  'ap-southeast-3': 3,
  'ap-southeast-4': 3,
  'ap-southeast-5': 3,
  'ap-southeast-7': 3,
  'ap-northeast-1': 3,
  'ap-northeast-2': 4,
  'ap-northeast-3': 3,
  'ca-central-1': 3,
  'ca-west-1': 3,
  'eu-central-1': 3,
  'eu-central-2': 3,
  'eu-west-1': 3,
  'eu-west-2': 3,
  'eu-west-3': 3,
  'eu-south-1': 3,
  'eu-south-2': 3,
  'eu-north-1': 3,
  'il-central-1': 3,
  'me-south-1': 3,
  'me-central-1': 3,
  'mx-central-1': 3,
  'sa-east-1': 3,
  'us-gov-east-1': 3,
  'us-gov-west-1': 3,
};

export const KNOWN_REGIONS = Object.keys(REGION_AZ_COUNT);
