# A zone this module creates is signed (DNSSEC) and has its queries logged. An existing zone,
# looked up instead, keeps whatever its owner configured.

data "aws_caller_identity" "current" {}

data "aws_region" "current" {}

resource "aws_route53_zone" "this" {
  count = var.create_zone ? 1 : 0

  name    = var.zone_name
  comment = "Orchid public zone, managed by Terraform"
  tags    = var.tags
}

# Route 53 signs with an asymmetric key that must live in us-east-1.
resource "aws_kms_key" "dnssec" {
  count = var.create_zone ? 1 : 0
  #checkov:skip=CKV_AWS_7:Asymmetric ECC_NIST_P256 signing keys cannot be rotated by KMS; rotating the key-signing key is a DNSSEC key rollover done with a new key.

  description              = "DNSSEC key-signing key of ${var.zone_name}"
  customer_master_key_spec = "ECC_NIST_P256"
  key_usage                = "SIGN_VERIFY"
  deletion_window_in_days  = 30
  policy                   = data.aws_iam_policy_document.dnssec[0].json
  tags                     = var.tags

  lifecycle {
    precondition {
      condition     = data.aws_region.current.name == "us-east-1"
      error_message = "Route 53 DNSSEC keys must be in us-east-1: configure the aws provider there."
    }
  }
}

data "aws_iam_policy_document" "dnssec" {
  count = var.create_zone ? 1 : 0
  #checkov:skip=CKV_AWS_109:This is a KMS key policy: its Resource "*" means this one key, and the account root statement is the AWS-required default that lets IAM policies govern the key.
  #checkov:skip=CKV_AWS_111:This is a KMS key policy: its Resource "*" means this one key, and the account root statement is the AWS-required default that lets IAM policies govern the key.
  #checkov:skip=CKV_AWS_356:This is a KMS key policy: its Resource "*" means this one key, not every resource.

  statement {
    sid       = "AccountAdministersTheKey"
    actions   = ["kms:*"]
    resources = ["*"]
    principals {
      type        = "AWS"
      identifiers = ["arn:aws:iam::${data.aws_caller_identity.current.account_id}:root"]
    }
  }

  statement {
    sid       = "Route53SignsWithTheKey"
    actions   = ["kms:DescribeKey", "kms:GetPublicKey", "kms:Sign"]
    resources = ["*"]
    principals {
      type        = "Service"
      identifiers = ["dnssec-route53.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [data.aws_caller_identity.current.account_id]
    }
  }

  statement {
    sid       = "Route53GrantsItself"
    actions   = ["kms:CreateGrant"]
    resources = ["*"]
    principals {
      type        = "Service"
      identifiers = ["dnssec-route53.amazonaws.com"]
    }
    condition {
      test     = "Bool"
      variable = "kms:GrantIsForAWSResource"
      values   = ["true"]
    }
  }
}

resource "aws_route53_key_signing_key" "this" {
  count = var.create_zone ? 1 : 0

  hosted_zone_id             = aws_route53_zone.this[0].id
  key_management_service_arn = aws_kms_key.dnssec[0].arn
  name                       = replace(var.zone_name, ".", "_")
}

# Signing starts here; publishing the DS record at the registrar completes the chain of trust.
resource "aws_route53_hosted_zone_dnssec" "this" {
  count = var.create_zone ? 1 : 0

  hosted_zone_id = aws_route53_key_signing_key.this[0].hosted_zone_id
}

resource "aws_cloudwatch_log_group" "queries" {
  count = var.create_zone ? 1 : 0
  #checkov:skip=CKV_AWS_158:Query logs hold only the public names resolvers asked for; CloudWatch Logs already encrypts them at rest, and a customer key would add a key policy for the logs service without protecting anything secret.

  name              = "/aws/route53/${var.zone_name}"
  retention_in_days = var.query_log_retention_days
  tags              = var.tags
}

data "aws_iam_policy_document" "query_logs" {
  count = var.create_zone ? 1 : 0

  statement {
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.queries[0].arn}:*"]
    principals {
      type        = "Service"
      identifiers = ["route53.amazonaws.com"]
    }
  }
}

resource "aws_cloudwatch_log_resource_policy" "queries" {
  count = var.create_zone ? 1 : 0

  policy_name     = "route53-query-logging-${replace(var.zone_name, ".", "-")}"
  policy_document = data.aws_iam_policy_document.query_logs[0].json
}

resource "aws_route53_query_log" "this" {
  count = var.create_zone ? 1 : 0

  zone_id                  = aws_route53_zone.this[0].zone_id
  cloudwatch_log_group_arn = aws_cloudwatch_log_group.queries[0].arn

  depends_on = [aws_cloudwatch_log_resource_policy.queries]
}
