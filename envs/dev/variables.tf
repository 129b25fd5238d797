variable "artifacts_dir" {
  description = "Directory with the Lambda zips from scripts/build-lambdas (relative to this directory by default)."
  type        = string
  default     = "../../build/lambda/arm64"
}

variable "alarm_email" {
  description = "E-mail address that receives alarms (null for none)."
  type        = string
  default     = null
}

variable "alarm_topic_arns" {
  description = "SNS topics you are given that every alarm also notifies."
  type        = list(string)
  default     = []
}
