//! Who keeps webhook endpoints. An endpoint receives what its owner's changes feed shows, so
//! keeping one takes both `ManageWebhooks` and `ReadChanges` (for a client: `webhooks:manage`
//! and `changes:read`); which endpoints a caller sees is `filters::webhook_filter`.

use super::caller::Caller;
use super::roles::Action;
use crate::error::ApiResult;

pub fn check_manage_webhooks(caller: &Caller) -> ApiResult<()> {
    caller.require(Action::ManageWebhooks)?;
    caller.require(Action::ReadChanges)
}

#[cfg(test)]
mod tests {
    use crate::access::caller::{Binding, Caller, Role};
    use crate::access::scopes::Scope;
    use crate::access::webhooks::check_manage_webhooks;

    #[test]
    fn a_client_needs_to_read_the_feed_it_would_receive() {
        let client = |scopes: Vec<Scope>| {
            let mut c = Caller::for_test(Role::Service, Binding::Unbound);
            c.scopes = Some(scopes);
            c
        };
        assert!(check_manage_webhooks(&client(vec![Scope::WebhooksManage])).is_err());
        assert!(
            check_manage_webhooks(&client(vec![Scope::WebhooksManage, Scope::ChangesRead])).is_ok()
        );
        assert!(
            check_manage_webhooks(&Caller::for_test(Role::GroupStaff, Binding::Unbound)).is_err()
        );
        assert!(check_manage_webhooks(&Caller::for_test(Role::Admin, Binding::Unbound)).is_ok());
    }
}
